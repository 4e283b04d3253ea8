using System.Numerics;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Domain.Tests.Registry;

/// <summary>
/// The owners' typed data hash and sign exactly as wallets do. Vectors computed with ethers 6 (npm):
/// TypedDataEncoder.hash(domain, types, value) and Wallet(Key).signTypedData for
/// domain { name: "Orchestrator", version: "1", chainId: 31337, verifyingContract: Pool } and the values below.
/// </summary>
public sealed class OwnerTypedDataTests
{
    internal static readonly byte[] Key = Hex.Decode("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    internal static readonly Address Owner = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    internal static readonly Address Pool = Address.Parse("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0");
    internal const ulong ChainId = 31337;
    internal const ulong Expiry = 1767225600;

    internal static readonly AppRegistration App = new(
        Owner, "hello-tee", "127.0.0.1:5000/hello@sha256:" + string.Concat(Enumerable.Repeat("ab", 32)),
        AppPolicyText.Of(
            new PolicyDraft { Tee = "Sgx", MrEnclaves = [string.Concat(Enumerable.Repeat("11", 32))] },
            [("UpToDate", []), ("SWHardeningNeeded", ["INTEL-SA-00615"])], allowDebug: false, allowSimulated: true),
        BigInteger.Parse("1000000000000000000", System.Globalization.CultureInfo.InvariantCulture), 7, Expiry);

    private static readonly DatasetRegistration Dataset = new(
        Owner, "census", Hash32.Parse("0x" + string.Concat(Enumerable.Repeat("22", 32))), "https://data.example/census.enc", 5,
        new DatasetRestrictions(
            [Address.Parse("0x00000000000000000000000000000000000000a1")], [],
            [Address.Parse("0x00000000000000000000000000000000000000b1"), Address.Parse("0x00000000000000000000000000000000000000b2")], []),
        8, Expiry);

    private static readonly SecretPush Push = new(
        SecretOwnerKind.Requester, Owner, "api-token", Hash32.Parse("0x" + string.Concat(Enumerable.Repeat("33", 32))), 9, Expiry, Owner);

    private static readonly OwnerQuery Query = new(OwnerQuery.ListSecrets, "requester", Owner, Expiry, Owner);

    [Theory]
    [InlineData("app", "0x27297ec00ab12f9ac5c55ae512dbbd8c3d31d4d19389cd829f9556629a81d261", "0xf1c867c1fc7d64099a80d1710aa58cc9f6b33b1554b34fbc839fe3cf082dcac9446fd0645367f777bfbf5a949a134bbea5527b022ad7acef3aff1a3940fc17131b")]
    [InlineData("dataset", "0xe77eaea5e39ac32768f29cbf29cc47adab20cd262192b0f9265d79215b74a301", "0xf24b615aea924257ea392877f861d6dd9687c5ee838c32f768e6d852ec37c54c258da7886fcd9b03c59a5eda923a13082815da010540060111bf99c2205f7dba1b")]
    [InlineData("push", "0xc69c660d2601e022c5478eeda21c838151d07b5784d1c1854f48fdfe9fdaeec2", "0x7ff3d7f2396011096eaba026fbfed4ef5ce984f5d7a28cc6dc7709e1023612a80f1b3902ce7c6f5647463408efcba6937bf50603b06c8525205975be087c1d181c")]
    [InlineData("query", "0xb305fb927d1f7220ea9c2cd8db3e5e093a761cc08b23a1667e2444d96ae0add6", "0x56ef8bc302ffb5e927a85751320e99e061eb952adfcc02b5cd32985d1d9b59d106326e9fad00c29da6f78c4027fcebe9d65aa446f99ee7f80301e4036a8b64611b")]
    public void DigestsAndSignaturesAreThoseEthersComputes(string which, string digest, string signature)
    {
        IOwnerSigned request = which switch { "app" => App, "dataset" => Dataset, "push" => Push, _ => Query };
        Assert.Equal(digest, request.SigningDigest(ChainId, Pool).ToString());
        Assert.Equal(signature, Secp256k1.Sign(request.SigningDigest(ChainId, Pool).ToArray(), Key).ToString());
    }

    [Fact]
    public void ThePolicyTextNamesEveryMeasurementSoAChangedOneChangesTheDigest()
    {
        Assert.Equal(
            "tee=sgx;mrenclave=" + string.Concat(Enumerable.Repeat("11", 32)) + ";signer=;tdx=;tcb=UpToDate,SWHardeningNeeded[INTEL-SA-00615];maxage=0;debug=0;simulated=1",
            App.Policy);
        var other = App with { Policy = App.Policy.Replace("mrenclave=11", "mrenclave=12", StringComparison.Ordinal) };
        Assert.NotEqual(App.SigningDigest(ChainId, Pool), other.SigningDigest(ChainId, Pool));
    }

    [Fact]
    public void AnAssetsAddressBelongsToItsOwnerAndName()
    {
        // The hub contract's appAddress / datasetAddress (contracts/test/registry.test.mjs derives them alike).
        Assert.Equal("0xaa408f3eb9f108c65857e65b5ec9be2884f816cb", AssetAddresses.App(Owner, "hello-tee").ToLowerHex());
        Assert.Equal("0x320ab058f35393a338e7cb0bce824a45789f39ef", AssetAddresses.Dataset(Owner, "hello-tee").ToLowerHex());
        var stranger = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        Assert.Equal(AssetAddresses.App(Owner, "hello-tee"), AssetAddresses.App(Owner, "hello-tee"));
        Assert.NotEqual(AssetAddresses.App(Owner, "hello-tee"), AssetAddresses.App(stranger, "hello-tee"));
        Assert.NotEqual(AssetAddresses.App(Owner, "hello-tee"), AssetAddresses.Dataset(Owner, "hello-tee"));
    }
}
