using Kv.Server.Configuration;

namespace Kv.Server.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private static ServerConfig Load(params string[] args)
    {
        var config = new ServerConfig();
        ConfigLoader.Apply(config, args);
        return config;
    }

    private static string WriteFile(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"kv-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void CommandLineOptionsUseRedisNames()
    {
        var config = Load("--port", "6390", "--bind", "127.0.0.1", "::1", "--save", "", "--appendonly", "no", "--databases", "4");
        Assert.Equal(6390, config.Port);
        Assert.Equal(["127.0.0.1", "::1"], config.Bind);
        Assert.Equal("", config.Save);
        Assert.Equal(4, config.Databases);
    }

    [Theory]
    [InlineData("1gb", 1024L * 1024 * 1024)]
    [InlineData("512mb", 512L * 1024 * 1024)]
    [InlineData("2MB", 2L * 1024 * 1024)]
    [InlineData("1g", 1000L * 1000 * 1000)]
    [InlineData("5000k", 5000L * 1000)]
    [InlineData("1048576", 1048576)]
    public void MemoryUnitsFollowRedisConf(string value, long expected)
    {
        Assert.Equal(expected, Load("--client-query-buffer-limit", value).ClientQueryBufferLimit);
    }

    [Fact]
    public void UnknownOptionIsNamed()
    {
        var error = Assert.Throws<KvConfigException>(() => Load("--no-such-option", "1"));
        Assert.Contains("'no-such-option'", error.Message);
    }

    [Fact]
    public void MalformedValueIsNamed()
    {
        var error = Assert.Throws<KvConfigException>(() => Load("--port", "abc"));
        Assert.Contains("'port'", error.Message);
        Assert.Contains("integer", error.Message);
        Assert.Throws<KvConfigException>(() => Load("--maxmemory", "1xyz"));
        Assert.Throws<KvConfigException>(() => Load("port", "6380"));
        Assert.Equal("yes", Load("--appendonly", "yes").Find("appendonly")!.Get());
    }

    [Fact]
    public void ConfigFileWithCommentsQuotesAndOverrides()
    {
        string path = WriteFile("# comment\n\nport 7000\nrequirepass \"my secret\"\nlogfile 'kv.log'\nmaxclients 100\r\nhash-max-ziplist-entries 64\nsave \"\"\n");
        try
        {
            var config = Load(path, "--port", "7001");
            Assert.Equal(7001, config.Port);
            Assert.Equal("my secret", config.RequirePass);
            Assert.Equal("kv.log", config.LogFile);
            Assert.Equal(100, config.MaxClients);
            Assert.Equal(64, config.HashMaxListpackEntries);
            Assert.Equal(Path.GetFullPath(path), config.ConfigFile);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ConfigFileErrorsNameTheLine()
    {
        string path = WriteFile("port 7000\nbogus-directive yes\n");
        try
        {
            var error = Assert.Throws<KvConfigException>(() => Load(path));
            Assert.Contains("line 2", error.Message);
            Assert.Contains("'bogus-directive'", error.Message);
        }
        finally
        {
            File.Delete(path);
        }

        path = WriteFile("requirepass \"unbalanced\n");
        try
        {
            Assert.Contains("Unbalanced quotes", Assert.Throws<KvConfigException>(() => Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Contains("can't open config file", Assert.Throws<KvConfigException>(() => Load("/no/such/kv.conf")).Message);
    }

    [Fact]
    public void KeyspaceEventsRoundTripAsRedisPrintsThem()
    {
        Assert.True(KeyspaceEvents.TryParse("KEA", out int flags));
        Assert.Equal("AKE", KeyspaceEvents.ToText(flags));
        Assert.True(KeyspaceEvents.TryParse("Ex$", out flags));
        Assert.Equal("$xE", KeyspaceEvents.ToText(flags));
        Assert.False(KeyspaceEvents.TryParse("Q", out _));
    }
}
