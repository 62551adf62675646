using System.Text;
using Kv.Server.Text;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// Redis's stringmatchlen, case by case. Every expectation below was taken from redis-server 7.0.15
/// (KEYS with the text as the only key).
/// </summary>
public sealed class GlobMatcherTests
{
    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("**", "x", true)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("a", "", false)]
    [InlineData("h?llo", "hello", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h*llo", "hllo", true)]
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h*llo", "hello world", false)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h[a-b]llo", "hcllo", false)]
    [InlineData("h[b-a]llo", "hallo", true)]
    [InlineData("[A-Z]", "a", false)]
    [InlineData("[a-z]", "q", true)]
    [InlineData(@"h\*llo", "h*llo", true)]
    [InlineData(@"h\*llo", "hello", false)]
    [InlineData(@"h\?llo", "h?llo", true)]
    [InlineData(@"h\?llo", "hallo", false)]
    [InlineData(@"\", @"\", true)]
    [InlineData(@"a\", @"a\", true)]
    [InlineData(@"a\\b", @"a\b", true)]
    [InlineData(@"[\]]", "]", true)]
    [InlineData(@"[\\]", @"\", true)]
    [InlineData("[]]", "]", false)]
    [InlineData("[]", "]", false)]
    [InlineData("[^]", "a", true)]
    [InlineData("[^]]", "]", false)]
    [InlineData("[^]]", "a", false)]
    [InlineData("[", "[", false)]
    [InlineData("[a", "a", true)]
    [InlineData("[a", "b", false)]
    [InlineData("[a-", "a", true)]
    [InlineData("[a-", "-", true)]
    [InlineData("a[", "a", false)]
    [InlineData("[^", "x", true)]
    [InlineData("[a-]", "b", false)]
    [InlineData("[a-]", "^", true)]
    [InlineData("[-]", "-", true)]
    [InlineData("[a-c-e]", "-", true)]
    [InlineData("[a-c-e]", "d", false)]
    [InlineData("[a-c-e]", "e", true)]
    [InlineData("a[]-]b", "a-b", false)]
    [InlineData(@"a[\-]b", "a-b", true)]
    [InlineData("[*]", "*", true)]
    [InlineData("[*]", "a", false)]
    [InlineData("[?]", "?", true)]
    [InlineData("[?]", "a", false)]
    [InlineData(@"\[", "[", true)]
    [InlineData("[[]", "[", true)]
    [InlineData(@"[\^]", "^", true)]
    [InlineData("[!a]", "b", false)]
    [InlineData("[!a]", "!", true)]
    [InlineData("*a*", "bab", true)]
    [InlineData("*a*", "bbb", false)]
    [InlineData("a*b*", "ab", true)]
    [InlineData("a*a*a", "aaa", true)]
    [InlineData("a*a*a", "aa", false)]
    [InlineData("*?*", "", false)]
    [InlineData("*?*", "x", true)]
    [InlineData("???*", "ab", false)]
    [InlineData("???*", "abc", true)]
    [InlineData("foo:*:qux", "foo:baz:qux", true)]
    [InlineData("foo:*:qux", "foo:baz:quux", false)]
    [InlineData("*:*", "nocolon", false)]
    [InlineData("a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("*a*b*c*", "xaxbxcx", true)]
    [InlineData("*a*b*c*", "xcxbxax", false)]
    [InlineData("h[a]llo", "h[a]llo", false)]
    public void MatchesAsRedis(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, GlobMatcher.IsMatch(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void LoneStarDoesNotMatchTheEmptyStringButMatchesAllIsTheShortcut()
    {
        // stringmatchlen("*", "") is 0 in Redis; KEYS and SCAN special-case a lone '*' so the empty key still matches.
        Assert.False(GlobMatcher.IsMatch("*"u8, ""u8));
        Assert.False(GlobMatcher.IsMatch("**"u8, ""u8));
        Assert.True(GlobMatcher.MatchesAll("*"u8));
        Assert.False(GlobMatcher.MatchesAll("**"u8));
    }

    [Theory]
    [InlineData("H*LLO", "hello", true)]
    [InlineData("h[A-C]llo", "hbllo", true)]
    [InlineData("h[^A-C]llo", "hbllo", false)]
    [InlineData("h\\Ello", "hello", true)]
    [InlineData("h[\\E]llo", "hello", false)] // an escaped class member compares exactly even with nocase
    public void IgnoresAsciiCaseWhenAsked(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, GlobMatcher.IsMatch(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(text), ignoreCase: true));
    }

    [Fact]
    public void MatchesBytesThatAreNotText()
    {
        Assert.True(GlobMatcher.IsMatch([0xFF, (byte)'*'], [0xFF, 0x00, 0x01]));
        Assert.True(GlobMatcher.IsMatch("[\x01-\x7F]"u8, [0x05]));
        Assert.False(GlobMatcher.IsMatch("[\x01-\x7F]"u8, [0x80]));
    }

    [Fact]
    public void PathologicalPatternsFinishQuickly()
    {
        // Without Redis's skipLongerMatches cut-off this pattern takes exponential time.
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a*", 30)) + "b");
        var text = Encoding.ASCII.GetBytes(new string('a', 5000));
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(GlobMatcher.IsMatch(pattern, text));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    [Fact]
    public void DeepNestingIsRefusedInsteadOfOverflowingTheStack()
    {
        // Redis gives up (no match) past 1000 nested stars.
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*a", 2000)));
        var text = Encoding.ASCII.GetBytes(new string('a', 2000));
        Assert.False(GlobMatcher.IsMatch(pattern, text));
        var shallow = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*a", 500)));
        Assert.True(GlobMatcher.IsMatch(shallow, text));
    }
}
