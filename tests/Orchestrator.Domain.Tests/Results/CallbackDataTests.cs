using System.Text;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;

namespace Orchestrator.Domain.Tests.Results;

/// <summary>The callback-data of computed.json: reading, validation, and the result digest rule of a callback deal.</summary>
public sealed class CallbackDataTests
{
    private static readonly Hash32 ArchiveDigest = new(Enumerable.Repeat((byte)5, 32).ToArray());

    [Fact]
    public void ComputedJsonCallbackDataIsReadAsBytes()
    {
        Assert.Equal(new byte[] { 0x12, 0x34, 0xab }, Read("""{"deterministic-output-path":"/iexec_out/r.txt","callback-data":"0x1234AB"}"""));
        Assert.Empty(Read("""{"callback-data":"0x"}""")!);
    }

    [Theory]
    [InlineData("""{"deterministic-output-path":"/iexec_out"}""")]
    [InlineData("""{"callback-data":null}""")]
    [InlineData("""{"callback-data":""}""")]
    [InlineData("""[1,2]""")]
    public void NoCallbackDataIsNull(string json) => Assert.Null(Read(json));

    [Theory]
    [InlineData("""{"callback-data":"1234"}""", "no 0x prefix")]
    [InlineData("""{"callback-data":"0x123"}""", "odd number")]
    [InlineData("""{"callback-data":"0xzz"}""", "callback-data must be 0x-hex")]
    [InlineData("""{"callback-data":42}""", "must be a 0x-hex string, got a JSON number")]
    [InlineData("""{"callback-data":""", "not valid JSON")]
    public void MalformedCallbackDataIsRefusedNamingTheRule(string json, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => Read(json));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void CallbackDataIsCappedAtFourKibibytes()
    {
        Assert.Equal(CallbackData.MaxBytes, Read(Json(CallbackData.MaxBytes))!.Length);
        var error = Assert.Throws<InvalidDataException>(() => Read(Json(CallbackData.MaxBytes + 1)));
        Assert.Contains("at most 4096 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACallbackDealsDigestIsKeccakOfTheCallbackDataOtherwiseTheArchiveDigest()
    {
        var data = Encoding.UTF8.GetBytes("price=42");
        var keccak = new Hash32(Keccak256.Hash(data));
        Assert.Equal(keccak, CallbackData.Digest(data));
        Assert.Equal(keccak, CallbackData.ResultDigest(dealHasCallback: true, data, ArchiveDigest));
        Assert.Equal(new Hash32(Keccak256.Hash([])), CallbackData.ResultDigest(dealHasCallback: true, [], ArchiveDigest));
        // without a callback the data goes nowhere and the archive's digest stays the result
        Assert.Equal(ArchiveDigest, CallbackData.ResultDigest(dealHasCallback: false, data, ArchiveDigest));
        var error = Assert.Throws<InvalidDataException>(() => CallbackData.ResultDigest(dealHasCallback: true, null, ArchiveDigest));
        Assert.Contains("must write callback-data", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARevealedDigestMustBeKeccakOfTheCallbackDataOnACallbackDealOnly()
    {
        var data = new byte[] { 1, 2, 3 };
        var digest = CallbackData.Digest(data);
        Assert.Null(CallbackData.Check(dealHasCallback: true, digest, data));
        Assert.Contains("not the revealed digest", CallbackData.Check(dealHasCallback: true, ArchiveDigest, data), StringComparison.Ordinal);
        Assert.Contains("carries the task's callback-data", CallbackData.Check(dealHasCallback: true, digest, null), StringComparison.Ordinal);
        Assert.Contains("at most 4096", CallbackData.Check(dealHasCallback: true, digest, new byte[CallbackData.MaxBytes + 1]), StringComparison.Ordinal);
        Assert.Null(CallbackData.Check(dealHasCallback: false, ArchiveDigest, null));
        Assert.Contains("names no callback", CallbackData.Check(dealHasCallback: false, ArchiveDigest, data), StringComparison.Ordinal);
    }

    private static string Json(int bytes) => $$"""{"callback-data":"0x{{new string('a', 2 * bytes)}}"}""";

    private static byte[]? Read(string json) => CallbackData.FromComputedJson(new MemoryStream(Encoding.UTF8.GetBytes(json)));
}
