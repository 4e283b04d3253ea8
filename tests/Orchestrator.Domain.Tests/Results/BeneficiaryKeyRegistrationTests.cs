using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;

namespace Orchestrator.Domain.Tests.Results;

public sealed class BeneficiaryKeyRegistrationTests
{
    // Computed with ethers 6 (npm): Wallet(Key).signTypedData(domain, types, value) and TypedDataEncoder.hashStruct / hash for
    //   domain { name: "Orchestrator", version: "1", chainId: 31337, verifyingContract: Pool }
    //   types  { BeneficiaryKeyRegistration: [publicKey bytes, expiry uint64] }
    //   value  { publicKey: the 64-byte key of OtherKey (not the signer's own), expiry: 1767225600 }
    private static readonly byte[] Key = Hex.Decode("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    private static readonly byte[] OtherKey = Hex.Decode("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
    private static readonly Address Requester = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    private static readonly Address Pool = Address.Parse("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0");
    private const ulong ChainId = 31337;
    private const ulong Expiry = 1767225600;
    private static readonly BeneficiaryKeyRegistration Registration = new(Secp256k1.PublicKeyBytes(OtherKey), Expiry);
    private const string EthersSignature = "0x86af78b32b3b4c75f023c25d30d6ec6e0b52ff1df13952ec096793e00d3815f0681a02efead5546c1aa86eb1e3dc81cb7be2f6e4e21dba48b1b0ae6f031d01411b";
    private static readonly DateTimeOffset BeforeExpiry = DateTimeOffset.FromUnixTimeSeconds((long)Expiry - 600);

    [Fact]
    public void TheHashesAreThoseEthersComputes()
    {
        Assert.Equal("0x9d9031e97dd78ff8c15aa86939de9b1e791066a0224e331bc962a2099a7b1f0464b8bbafe1535f2301c72c2cb3535b172da30b02686ab0393d348614f157fbdb", Hex.Encode(Registration.PublicKey));
        Assert.Equal("0x37c340044006a376882c18982fae7abf08fc6f8e140e23f25fef2863b5f5d0c7", Registration.StructHash().ToString());
        Assert.Equal("0x2150e21f5700e14a8852ccebdb383602631781559e5ba08c919581150b5353c2", Registration.SigningDigest(ChainId, Pool).ToString());
        Assert.Equal(EthersSignature, Secp256k1.Sign(Registration.SigningDigest(ChainId, Pool).ToArray(), Key).ToString());
    }

    [Fact]
    public void TheRequesterRegistersAKeyThatIsNotItsOwn()
        => Assert.Null(BeneficiaryKeyRules.Check(Registration, EthersSignatureOf(), BeforeExpiry, ChainId, Pool, Requester));

    [Fact]
    public void AStrangerOrAnotherPoolsSignatureIsNotTheRequester()
    {
        var stranger = Secp256k1.Sign(Registration.SigningDigest(ChainId, Pool).ToArray(), Secp256k1.NewPrivateKey());
        var refusal = BeneficiaryKeyRules.Check(Registration, stranger, BeforeExpiry, ChainId, Pool, Requester)!;
        Assert.Equal(BeneficiaryKeyRefusalCode.NotTheRequester, refusal.Code);
        Assert.Contains("only a requester registers its own key", refusal.Message, StringComparison.Ordinal);

        var otherPool = Secp256k1.Sign(Registration.SigningDigest(ChainId, Address.Zero).ToArray(), Key);
        Assert.Equal(BeneficiaryKeyRefusalCode.NotTheRequester, BeneficiaryKeyRules.Check(Registration, otherPool, BeforeExpiry, ChainId, Pool, Requester)!.Code);
    }

    [Fact]
    public void AKeyOffTheCurveAndAStaleOrLongLivedExpiryAreRefusedNamingTheRule()
    {
        var offCurve = BeneficiaryKeyRules.Check(Registration with { PublicKey = Enumerable.Repeat((byte)0x11, 64).ToArray() }, EthersSignatureOf(), BeforeExpiry, ChainId, Pool, Requester)!;
        Assert.Equal(BeneficiaryKeyRefusalCode.NotAPublicKey, offCurve.Code);
        Assert.Contains("rule:", offCurve.Message, StringComparison.Ordinal);

        var atExpiry = DateTimeOffset.FromUnixTimeSeconds((long)Expiry);
        Assert.Equal(BeneficiaryKeyRefusalCode.Expired, BeneficiaryKeyRules.Check(Registration, EthersSignatureOf(), atExpiry, ChainId, Pool, Requester)!.Code);
        var wayBefore = atExpiry - BeneficiaryKeyRules.MaxLifetime - TimeSpan.FromSeconds(1);
        Assert.Equal(BeneficiaryKeyRefusalCode.TooLongLived, BeneficiaryKeyRules.Check(Registration, EthersSignatureOf(), wayBefore, ChainId, Pool, Requester)!.Code);
    }

    [Fact]
    public void OnlyALaterExpiryReplacesTheLastAndTheSameRegistrationAgainIsARepeat()
    {
        Assert.Null(BeneficiaryKeyRules.CheckNewer(Registration, 0, null, out var repeat));
        Assert.False(repeat);
        Assert.Null(BeneficiaryKeyRules.CheckNewer(Registration, Expiry, Registration.PublicKey, out repeat));
        Assert.True(repeat);

        var replayed = BeneficiaryKeyRules.CheckNewer(Registration with { Expiry = Expiry - 1 }, Expiry, Registration.PublicKey, out repeat)!;
        Assert.Equal(BeneficiaryKeyRefusalCode.NotNewer, replayed.Code);
        Assert.False(repeat);
        var sameSecondOtherKey = BeneficiaryKeyRules.CheckNewer(Registration with { PublicKey = Secp256k1.PublicKeyBytes(Key) }, Expiry, Registration.PublicKey, out _);
        Assert.Equal(BeneficiaryKeyRefusalCode.NotNewer, sameSecondOtherKey!.Code);
    }

    private static Signature EthersSignatureOf()
    {
        Assert.True(Signature.TryFromBytes65(Hex.Decode(EthersSignature), out var signature, out _));
        return signature!;
    }
}
