using System.Net;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Session;

namespace Orchestrator.Worker.Tests;

/// <summary>Which resolved addresses an input fetch may reach, IPv6 disguises of internal IPv4 addresses included.</summary>
public sealed class InputRulesTests
{
    private static readonly InputRules Default = new(new InputOptions());

    [Theory]
    [InlineData("127.0.0.1", "a loopback address")]
    [InlineData("::1", "a loopback address")]
    [InlineData("::ffff:127.0.0.1", "a loopback address")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("64:ff9b::7f00:1", "a loopback address")]            // NAT64 to 127.0.0.1
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")]                 // NAT64 to the metadata service
    [InlineData("64:ff9b::a00:1", "a private address")]              // NAT64 to 10.0.0.1
    [InlineData("2002:a9fe:a9fe::1", "link-local")]                  // 6to4 through 169.254.169.254
    [InlineData("2002:c0a8:0101::1", "a private address")]           // 6to4 through 192.168.1.1
    [InlineData("::127.0.0.1", "a loopback address")]                // IPv4-compatible (deprecated)
    [InlineData("::8.8.8.8", "an IPv4-compatible address")]
    [InlineData("64:ff9b:1::a9fe:a9fe", "a local-use NAT64 address")]
    [InlineData("fec0::1", "a site-local address")]
    [InlineData("fd00::1", "unique local")]
    [InlineData("fe80::1", "a link-local address")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "a Teredo tunnel address")]
    [InlineData("2001:db8::1", "a documentation address")]
    [InlineData("100::1", "a discard-only address")]
    [InlineData("192.0.2.10", "a documentation address")]
    [InlineData("::", "an unspecified address")]
    [InlineData("ff02::1", "a multicast address")]
    public void Internal_and_reserved_addresses_are_refused_naming_the_rule(string address, string rule)
    {
        var refusal = Default.AddressRefusal("input.example", IPAddress.Parse(address));

        Assert.NotNull(refusal);
        Assert.Contains(rule, refusal, StringComparison.Ordinal);
        Assert.Contains("rule:", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("64:ff9b::808:808")]     // NAT64 to 8.8.8.8: a public destination
    [InlineData("2002:808:808::1")]      // 6to4 through 8.8.8.8
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_pass(string address)
        => Assert.Null(Default.AddressRefusal("input.example", IPAddress.Parse(address)));

    [Fact]
    public void The_refusal_names_the_ipv4_address_a_disguised_one_leads_to()
    {
        var refusal = Default.AddressRefusal("input.example", IPAddress.Parse("64:ff9b::a9fe:a9fe"));

        Assert.Contains("which leads to 169.254.169.254", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allow_listed_ipv4_range_also_admits_its_nat64_form()
    {
        var rules = new InputRules(new InputOptions { AllowList = ["10.1.0.0/16"] });

        Assert.Null(rules.AddressRefusal("data.internal", IPAddress.Parse("10.1.2.3")));
        Assert.Null(rules.AddressRefusal("data.internal", IPAddress.Parse("64:ff9b::a01:203")));
        Assert.NotNull(rules.AddressRefusal("data.internal", IPAddress.Parse("10.2.0.1")));
    }
}
