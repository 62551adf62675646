namespace WebShop.Tests.Browser;

/// <summary>A fact that needs a real browser: skipped where chromium is not installed, except under CI, where it fails.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!HeadlessChromium.Enabled)
        {
            Skip = "chromium is not installed (apt-get install chromium); with CI=true this test fails instead.";
        }
    }
}
