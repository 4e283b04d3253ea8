using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Domain.Tests.Deals;

public sealed class ResultPrivacyTests
{
    private static readonly TeeTag Sgx = new(TeeTag.Tee | TeeTag.Scone);
    private static readonly byte[] Key = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());

    private static DealSpec Deal(TeeTag tag, byte[]? key = null, bool publicResults = false) => new()
    {
        DealId = new Hash32(Enumerable.Repeat((byte)1, 32).ToArray()),
        Requester = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        App = Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        CategoryId = 0,
        Trust = 1,
        Tag = tag,
        BotSize = 1,
        StartTime = DateTimeOffset.UnixEpoch,
        BeneficiaryKey = key,
        PublicResults = publicResults,
    };

    [Fact]
    public void ATeeDealWithoutKeyIsRefusedNamingTheRule()
    {
        var error = Assert.Single(Deal(Sgx).Validate(CategoryCatalog.Default));
        Assert.Contains("a TEE deal needs a beneficiaryKey", error);
        Assert.Contains("register-key", error);
        Assert.Contains("or set publicResults", error);
        Assert.Contains("rule:", error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void ATeeDealWithAKeyOrExplicitlyPublicIsAccepted()
    {
        Assert.Empty(Deal(Sgx, Key).Validate(CategoryCatalog.Default));
        Assert.Empty(Deal(Sgx, publicResults: true).Validate(CategoryCatalog.Default));
    }

    [Fact]
    public void ADealWithoutTeeNeedsNeither()
    {
        Assert.Empty(Deal(TeeTag.NoTee).Validate(CategoryCatalog.Default));
        Assert.Empty(Deal(TeeTag.NoTee, Key).Validate(CategoryCatalog.Default));
    }

    [Fact]
    public void AKeyOffTheCurveIsRefused()
    {
        var offCurve = (byte[])Key.Clone();
        offCurve[63] ^= 1; // y no longer solves y² = x³ + 7
        Assert.Contains("not a secp256k1 public key", Assert.Single(Deal(TeeTag.NoTee, offCurve).Validate(CategoryCatalog.Default)));
        Assert.Contains("not a secp256k1 public key", Assert.Single(Deal(Sgx, Key[..33]).Validate(CategoryCatalog.Default)));
    }

    [Fact]
    public void AKeyAndPublicResultsTogetherAreRefused()
        => Assert.Contains("exclude each other", Assert.Single(Deal(Sgx, Key, publicResults: true).Validate(CategoryCatalog.Default)));

    [Fact]
    public void IsPublicKeyChecksTheCurveEquation()
    {
        Assert.True(Secp256k1.IsPublicKey(Key));
        Assert.False(Secp256k1.IsPublicKey(new byte[64]));
        Assert.False(Secp256k1.IsPublicKey([0x04, .. Key]));
    }
}
