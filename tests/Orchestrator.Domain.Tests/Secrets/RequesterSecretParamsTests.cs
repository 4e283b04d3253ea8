using Orchestrator.Domain.Secrets;

namespace Orchestrator.Domain.Tests.Secrets;

public sealed class RequesterSecretParamsTests
{
    [Theory]
    [InlineData("")]
    [InlineData("--plain arguments")]
    [InlineData("{not json")]
    [InlineData("""{"iexec_args": "x"}""")]
    [InlineData("""{"iexec_secrets": {}}""")]
    public void Params_that_select_nothing_read_as_no_selection(string parameters)
    {
        Assert.True(RequesterSecretParams.TryRead(parameters, out var selection, out var error), error);
        Assert.Null(selection);
    }

    [Fact]
    public void The_iexec_secrets_member_maps_indices_to_names()
    {
        Assert.True(RequesterSecretParams.TryRead("""{"iexec_args": "x", "iexec_secrets": {"2": "b", "1": "a.key"}}""", out var selection, out _));
        Assert.Equal(new Dictionary<int, string> { [1] = "a.key", [2] = "b" }, selection);
    }

    [Theory]
    [InlineData("""{"iexec_secrets": {"101": "a"}}""", "index \"101\" must be 1..100")]
    [InlineData("""{"iexec_secrets": {"-1": "a"}}""", "index \"-1\" must be 1..100")]
    [InlineData("""{"iexec_secrets": {"1": 5}}""", "params.iexec_secrets[1]: a secret name")]
    [InlineData("""{"iexec_secrets": {"1": ""}}""", "params.iexec_secrets[1]: a secret name")]
    [InlineData("""{"iexec_secrets": "a"}""", "must be an object of index to secret name")]
    public void A_bad_selection_is_refused_with_its_rule(string parameters, string rule)
    {
        Assert.False(RequesterSecretParams.TryRead(parameters, out var selection, out var error));
        Assert.Null(selection);
        Assert.Contains(rule, error, StringComparison.Ordinal);
    }
}
