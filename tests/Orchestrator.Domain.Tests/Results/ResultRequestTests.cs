using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;

namespace Orchestrator.Domain.Tests.Results;

public sealed class ResultRequestTests
{
    // Computed with ethers 6.17.0 (npm): Wallet(Key).signTypedData(domain, types, value) and
    // TypedDataEncoder.hashDomain / hashStruct / hash for
    //   domain { name: "Orchestrator", version: "1", chainId: 31337, verifyingContract: Pool }
    //   types  { ResultRequest: [taskId bytes32, kind string, expiry uint64] }
    //   value  { taskId: 0xabab…ab, kind: "result", expiry: 1767225600 }
    // tests/outsider/result_request.mjs signs the same way against a running pool.
    private static readonly byte[] Key = Hex.Decode("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    private static readonly Address Signer = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    private static readonly Address Pool = Address.Parse("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0");
    private const ulong ChainId = 31337;
    private static readonly ResultRequest Request = new(Hash32.Parse("0x" + string.Concat(Enumerable.Repeat("ab", 32))), ResultKind.Result, 1767225600);
    private const string EthersSignature = "0xadde5695eb232cdefab47b3b93f301539cfe0b18990fe948c888e3cf62b4a05c59f9ca66bc259f34d144feaa079f30636130db53e954664a67b03dcaa76218c91c";
    private static readonly DateTimeOffset BeforeExpiry = DateTimeOffset.FromUnixTimeSeconds(1767225600 - 600);

    [Fact]
    public void TheHashesAreThoseEthersComputes()
    {
        Assert.Equal("0x0137eca331e8818aa2e812754f0fce199bc1ff3691f599e4749388beb54ce40d", ResultRequest.DomainSeparator(ChainId, Pool).ToString());
        Assert.Equal("0x278944b5cc458c7f1d9fe296dff6b7c9f566bf34b0694c1b3c788be640dca588", Request.StructHash().ToString());
        Assert.Equal("0x3e6153ff9f37a7dcf31174a9c19b5d4413a55db78d176066ec3110d246963770", Request.SigningDigest(ChainId, Pool).ToString());
        Assert.Equal(EthersSignature, Secp256k1.Sign(Request.SigningDigest(ChainId, Pool).ToArray(), Key).ToString());
    }

    [Fact]
    public void TheRequesterAndTheBeneficiaryAreLetIn()
    {
        Assert.Null(Check(EthersSignatureOf(), requester: Signer, beneficiaryKey: null, out var signer));
        Assert.Equal(Signer, signer);

        var otherRequester = Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
        Assert.Null(Check(EthersSignatureOf(), otherRequester, Secp256k1.PublicKeyBytes(Key), out signer));
        Assert.Equal(Signer, signer);
    }

    [Fact]
    public void AStrangerIsRefusedNamingTheRule()
    {
        var stranger = Secp256k1.NewPrivateKey();
        var refusal = Check(Secp256k1.Sign(Request.SigningDigest(ChainId, Pool).ToArray(), stranger), Signer, null, out _);
        Assert.Equal(ResultAccessRefusalCode.NotRequesterOrBeneficiary, refusal!.Code);
        Assert.Contains("only the deal's requester or beneficiary", refusal.Message);
    }

    [Fact]
    public void ASignatureForAnotherPoolOrKindDoesNotPass()
    {
        var otherPool = Secp256k1.Sign(Request.SigningDigest(ChainId, Address.Zero).ToArray(), Key);
        Assert.Equal(ResultAccessRefusalCode.NotRequesterOrBeneficiary, Check(otherPool, Signer, null, out _)!.Code);

        var logs = Request with { Kind = ResultKind.Logs };
        Assert.NotNull(ResultAccessRules.Check(logs, EthersSignatureOf(), BeforeExpiry, ChainId, Pool, Signer, null, out _));
    }

    [Fact]
    public void AnExpiredOrLongLivedRequestIsRefused()
    {
        var atExpiry = DateTimeOffset.FromUnixTimeSeconds(1767225600);
        Assert.Equal(ResultAccessRefusalCode.Expired, ResultAccessRules.Check(Request, EthersSignatureOf(), atExpiry, ChainId, Pool, Signer, null, out _)!.Code);

        var wayBefore = atExpiry - ResultAccessRules.MaxLifetime - TimeSpan.FromSeconds(1);
        Assert.Equal(ResultAccessRefusalCode.TooLongLived, ResultAccessRules.Check(Request, EthersSignatureOf(), wayBefore, ChainId, Pool, Signer, null, out _)!.Code);
    }

    private static Signature EthersSignatureOf()
    {
        Assert.True(Signature.TryFromBytes65(Hex.Decode(EthersSignature), out var signature, out _));
        return signature!;
    }

    private static ResultAccessRefusal? Check(Signature signature, Address requester, byte[]? beneficiaryKey, out Address signer)
        => ResultAccessRules.Check(Request, signature, BeforeExpiry, ChainId, Pool, requester, beneficiaryKey, out signer);
}
