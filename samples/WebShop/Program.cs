using WebShop;

// Everything is composed in WebShopApp.Build, so the tests start the very same app on a free port.
var app = WebShopApp.Build(new WebApplicationOptions { Args = args });
app.Run();
