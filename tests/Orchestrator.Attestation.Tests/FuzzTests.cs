using Orchestrator.Attestation.Pki;
using Orchestrator.Attestation.Quotes;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Tests;

/// <summary>
/// Random damage to valid quotes: the verifier must never throw, and may pass only when the
/// damage left every signed or bound element identical (i.e. it hit trailing padding or PEM
/// whitespace), in which case the verdict must be the original one.
/// </summary>
public sealed class FuzzTests
{
    private static readonly DcapQuoteVerifier Strict = new();

    public static TheoryData<string, int> Cases => new()
    {
        { "phala-dcap-qvl/sgx_quote", 11 },
        { "phala-dcap-qvl/tdx_quote", 23 },
        { "phala-dcap-qvl/tdx_quote_outdated", 37 },
        { "teepot/tdx_1", 41 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Random_flips_and_truncations_never_throw_and_never_pass_when_signed_bytes_changed(string id, int seed)
    {
        var v = SharedVectors.Get(id);
        var original = v.Quote;
        var collateral = v.LoadCollateral();
        var at = v.At!.Value;
        var baseline = Strict.Verify(original, collateral, at);
        var originalQuote = QuoteSurgery.Parse(original);
        var random = new Random(seed);
        var passes = 0;

        for (var i = 0; i < 250; i++)
        {
            var mutated = Mutate(original, originalQuote, random);
            var result = Strict.Verify(mutated, collateral, at); // must not throw
            Assert.NotNull(result);
            Assert.True(result.IsVerified ^ result.Failure is not null);
            if (result.IsVerified)
            {
                passes++;
                var parsed = QuoteParser.Parse(mutated).Quote;
                Assert.NotNull(parsed);
                Assert.True(SameSignedContent(originalQuote, parsed!), $"{id}: mutation {i} changed signed content yet verified");
                Assert.Equal(baseline.Status, result.Status);
                Assert.Equal(baseline.AdvisoryIds, result.AdvisoryIds);
            }
        }

        // Most mutations hit signed bytes; a pass is the exception, never the rule.
        Assert.True(passes < 150, $"{passes} of 250 mutations passed");
    }

    [Fact]
    public void Parsing_random_bytes_never_throws()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 700)];
            random.NextBytes(bytes);
            if (bytes.Length > 2 && i % 2 == 0)
            {
                bytes[0] = (byte)random.Next(3, 6); // plausible version, to get past the first check
                bytes[1] = 0;
                bytes[2] = 2;
            }

            Assert.False(Strict.Verify(bytes, null, DateTimeOffset.UnixEpoch).IsVerified);
        }
    }

    private static byte[] Mutate(byte[] original, DcapQuote quote, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0:
                return bytes[..random.Next(0, bytes.Length)];
            case 1:
                // Flip inside the declared quote: the interesting region.
                bytes[random.Next(0, quote.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 2:
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    bytes[random.Next(0, bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            default:
                // Header/length fields: where parsers usually break.
                var offset = random.Next(2) == 0 ? random.Next(0, 56) : quote.SignedData.Length + random.Next(0, 4);
                bytes[offset] = (byte)random.Next(256);
                return bytes;
        }
    }

    private static bool SameSignedContent(DcapQuote a, DcapQuote b) =>
        a.SignedData.SequenceEqual(b.SignedData)
        && a.QuoteSignature.SequenceEqual(b.QuoteSignature)
        && a.AttestationKey.SequenceEqual(b.AttestationKey)
        && a.QeReportRaw.SequenceEqual(b.QeReportRaw)
        && a.QeReportSignature.SequenceEqual(b.QeReportSignature)
        && a.QeAuthData.SequenceEqual(b.QeAuthData)
        && a.CertificationDataType == b.CertificationDataType
        && SameCertificates(a, b);

    private static bool SameCertificates(DcapQuote a, DcapQuote b)
    {
        var ca = PemCertificates.Parse(a.CertificationData.AsSpan(), "a");
        var cb = PemCertificates.Parse(b.CertificationData.AsSpan(), "b");
        try
        {
            return ca.Count == cb.Count && ca.Zip(cb).All(p => p.First.Der.AsSpan().SequenceEqual(p.Second.Der));
        }
        finally
        {
            PemCertificates.DisposeAll(ca);
            PemCertificates.DisposeAll(cb);
        }
    }
}
