using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using static Orchestrator.Domain.Tests.Registry.OwnerTypedDataTests;

namespace Orchestrator.Domain.Tests.Registry;

public sealed class OwnerSignatureRulesTests
{
    private static readonly DateTimeOffset BeforeExpiry = DateTimeOffset.FromUnixTimeSeconds((long)Expiry - 600);

    private static Signature Signed(IOwnerSigned request, byte[] key, Address? pool = null)
        => Secp256k1.Sign(request.SigningDigest(ChainId, pool ?? Pool).ToArray(), key);

    [Fact]
    public void TheOwnersSignatureUnderThisPoolsDomainPasses()
        => Assert.Null(OwnerSignatureRules.Check(App, Signed(App, Key), BeforeExpiry, ChainId, Pool));

    [Fact]
    public void AnUnsignedRequestIsRefusedAsUnauthenticated()
    {
        var refusal = OwnerSignatureRules.Check(App, null, BeforeExpiry, ChainId, Pool)!;
        Assert.Equal(OwnerRefusalCode.BadSignature, refusal.Code);
        Assert.Contains("signature: is required", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStrangersSignatureIsAnOwnerMismatchNamingBoth()
    {
        var stranger = Secp256k1.NewPrivateKey();
        var refusal = OwnerSignatureRules.Check(App, Signed(App, stranger), BeforeExpiry, ChainId, Pool)!;
        Assert.Equal(OwnerRefusalCode.OwnerMismatch, refusal.Code);
        Assert.Contains(Owner.ToLowerHex(), refusal.Message, StringComparison.Ordinal);
        Assert.Contains(Secp256k1.AddressOf(stranger).ToLowerHex(), refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASignatureForAnotherPoolOrOtherContentDoesNotRecoverTheOwner()
    {
        Assert.Equal(OwnerRefusalCode.OwnerMismatch, OwnerSignatureRules.Check(App, Signed(App, Key, Address.Zero), BeforeExpiry, ChainId, Pool)!.Code);
        var altered = App with { Image = App.Image.Replace("hello", "evil", StringComparison.Ordinal) };
        Assert.Equal(OwnerRefusalCode.OwnerMismatch, OwnerSignatureRules.Check(altered, Signed(App, Key), BeforeExpiry, ChainId, Pool)!.Code);
    }

    [Fact]
    public void AnExpiredOrTooLongLivedRequestIsRefused()
    {
        var atExpiry = DateTimeOffset.FromUnixTimeSeconds((long)Expiry);
        Assert.Equal(OwnerRefusalCode.Expired, OwnerSignatureRules.Check(App, Signed(App, Key), atExpiry, ChainId, Pool)!.Code);
        var twoDaysBefore = atExpiry - TimeSpan.FromDays(2);
        Assert.Equal(OwnerRefusalCode.TooLongLived, OwnerSignatureRules.Check(App, Signed(App, Key), twoDaysBefore, ChainId, Pool)!.Code);
    }
}
