using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Results.V1;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using ResultsService = Orchestrator.Api.Results.V1.Results;

namespace Orchestrator.Api.Tests;

/// <summary>
/// The requester's key pushed once, over real gRPC and HTTP on loopback: registered with the
/// requester's own EIP-712 signature, replays and strangers refused before any grain is touched, and
/// deals that name no key take a copy of it.
/// </summary>
[Collection("api")]
public sealed class BeneficiaryKeyRegistrationTests(ApiHost host)
{
    private readonly ResultsService.ResultsClient _results = new(host.Channel);

    [Fact]
    public async Task The_requester_registers_a_key_that_is_not_its_own_a_later_one_replaces_it_and_an_older_one_replayed_is_refused()
    {
        var requester = Secp256k1.NewPrivateKey();
        var first = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        var now = DateTimeOffset.UtcNow;
        var older = Signed(requester, first, now.AddMinutes(5));

        var registered = await _results.SetBeneficiaryKeyAsync(older);
        Assert.True(registered.Changed);
        Assert.Equal(Hex.Encode(first), registered.PublicKey);
        Assert.Equal(Address.FromPublicKey(first).ToLowerHex(), registered.KeyAddress);
        Assert.False((await _results.SetBeneficiaryKeyAsync(older)).Changed); // a retry of the same registration: no change, no error

        var second = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        Assert.True((await _results.SetBeneficiaryKeyAsync(Signed(requester, second, now.AddMinutes(6)))).Changed);

        var replayed = await Assert.ThrowsAsync<RpcException>(() => _results.SetBeneficiaryKeyAsync(older).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, replayed.StatusCode);
        Assert.Contains("an old one replayed is refused", replayed.Status.Detail, StringComparison.Ordinal);

        var current = await _results.GetBeneficiaryKeyAsync(new GetBeneficiaryKeyRequest { Requester = Secp256k1.AddressOf(requester).ToLowerHex() });
        Assert.Equal(Hex.Encode(second), current.PublicKey);
        Assert.False(current.Changed);
    }

    [Fact]
    public async Task A_stranger_cannot_overwrite_another_requesters_key()
    {
        var requester = Secp256k1.NewPrivateKey();
        var mine = Secp256k1.PublicKeyBytes(requester);
        await _results.SetBeneficiaryKeyAsync(Signed(requester, mine, DateTimeOffset.UtcNow.AddMinutes(5)));

        var stranger = Secp256k1.NewPrivateKey();
        var theirs = Signed(stranger, Secp256k1.PublicKeyBytes(stranger), DateTimeOffset.UtcNow.AddMinutes(10));
        theirs.Requester = Secp256k1.AddressOf(requester).ToLowerHex();
        var refused = await Assert.ThrowsAsync<RpcException>(() => _results.SetBeneficiaryKeyAsync(theirs).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("only a requester registers its own key", refused.Status.Detail, StringComparison.Ordinal);

        var kept = await _results.GetBeneficiaryKeyAsync(new GetBeneficiaryKeyRequest { Requester = theirs.Requester });
        Assert.Equal(Hex.Encode(mine), kept.PublicKey);
    }

    [Fact]
    public async Task A_refused_registration_activates_no_grain_and_names_the_rule()
    {
        var requester = Secp256k1.NewPrivateKey();
        var address = Secp256k1.AddressOf(requester).ToLowerHex();
        var key = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        var now = DateTimeOffset.UtcNow;

        await RefusedAsync(Signed(requester, key, now.AddMinutes(-1)), StatusCode.Unauthenticated, "expired");
        await RefusedAsync(Signed(requester, key, now.AddHours(25)), StatusCode.Unauthenticated, "at most 24 h");
        await RefusedAsync(Signed(requester, Enumerable.Repeat((byte)0x11, 64).ToArray(), now.AddMinutes(5)), StatusCode.InvalidArgument, "not a secp256k1 public key");
        var wrongSigner = Signed(Secp256k1.NewPrivateKey(), key, now.AddMinutes(5));
        wrongSigner.Requester = address;
        await RefusedAsync(wrongSigner, StatusCode.PermissionDenied, "only a requester registers its own key");
        var unsigned = Signed(requester, key, now.AddMinutes(5));
        unsigned.Signature = string.Empty;
        await RefusedAsync(unsigned, StatusCode.Unauthenticated, "signature: is required");
        var badHex = Signed(requester, key, now.AddMinutes(5));
        badHex.PublicKey = "0xzz";
        await RefusedAsync(badHex, StatusCode.InvalidArgument, "public_key");

        var statistics = await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        Assert.DoesNotContain(statistics, s => s.GrainId.ToString().Contains(address[2..], StringComparison.OrdinalIgnoreCase));
        var none = await Assert.ThrowsAsync<RpcException>(() => _results.GetBeneficiaryKeyAsync(new GetBeneficiaryKeyRequest { Requester = address }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task The_json_routes_register_and_read_the_key()
    {
        var requester = Secp256k1.NewPrivateKey();
        var key = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        var signed = Signed(requester, key, DateTimeOffset.UtcNow.AddMinutes(5));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };

        using var posted = await http.PostAsJsonAsync(
            new Uri($"/v1/requesters/{signed.Requester}/beneficiary-key", UriKind.Relative),
            new { publicKey = signed.PublicKey, expiry = signed.Expiry.ToString(CultureInfo.InvariantCulture), signature = signed.Signature });
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.True(JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement.GetProperty("changed").GetBoolean());

        using var read = await http.GetAsync(new Uri($"/v1/requesters/{signed.Requester}/beneficiary-key", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(Hex.Encode(key), JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("publicKey").GetString());

        using var replay = await http.PostAsJsonAsync(
            new Uri($"/v1/requesters/{signed.Requester}/beneficiary-key", UriKind.Relative),
            new { publicKey = signed.PublicKey, expiry = (signed.Expiry - 1).ToString(CultureInfo.InvariantCulture), signature = signed.Signature });
        Assert.NotEqual(HttpStatusCode.OK, replay.StatusCode); // another expiry than signed: recovers to someone else
    }

    [Fact]
    public async Task A_deal_naming_no_key_takes_a_copy_of_the_registered_key_and_a_tee_deal_without_either_is_refused_naming_both_ways()
    {
        var requester = Secp256k1.NewPrivateKey();
        var requesterAddress = Secp256k1.AddressOf(requester).ToLowerHex();
        var tee = Deals.Standard();
        tee.Requester = requesterAddress;
        tee.TeeTag = 0x3;
        var refused = await Assert.ThrowsAsync<RpcException>(() => host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = tee }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("name one in the deal, or have its requester register theirs once", refused.Status.Detail, StringComparison.Ordinal);

        var registered = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        var now = DateTimeOffset.UtcNow;
        await _results.SetBeneficiaryKeyAsync(Signed(requester, registered, now.AddMinutes(5)));
        Assert.True((await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = tee })).Created); // the same TEE deal, now with a key to encrypt for

        // A standard deal naming no key: its worker is told to encrypt for the registered key.
        var plain = Deals.Standard();
        plain.Requester = requesterAddress;
        plain.StartTime = Timestamp.FromDateTimeOffset(now); // fixed, so sending it again is the same deal
        var (taskId, worker) = await RequesterDownloadTests.WinAsync(host, async () => (await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = plain })).DealId, [1, 2, 3]);
        await using (worker) // disposed before the next deal, which it would otherwise take
        {
            Assert.Equal(registered, worker.Seen.Last(m => m.Assignment?.TaskId == taskId).Assignment.BeneficiaryKey.ToByteArray());

            // A later registration leaves the deal as it was created, and the same deal sent again is the same deal.
            await _results.SetBeneficiaryKeyAsync(Signed(requester, Secp256k1.PublicKeyBytes(requester), now.AddMinutes(6)));
            var terms = await host.Services.GetRequiredService<IGrainFactory>().Task(Hash32.Parse(taskId)).GetResultTermsAsync();
            Assert.Equal(registered, terms.BeneficiaryKey);
            var again = await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = plain });
            Assert.False(again.Created);
        }

        // A deal that says its results are public takes no key.
        var open = Deals.Standard();
        open.Requester = requesterAddress;
        open.PublicResults = true;
        var (openTask, openWorker) = await RequesterDownloadTests.WinAsync(host, async () => (await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = open })).DealId, [4, 5, 6]);
        await using var __ = openWorker;
        Assert.True(openWorker.Seen.Last(m => m.Assignment?.TaskId == openTask).Assignment.BeneficiaryKey.IsEmpty);
    }

    private async Task RefusedAsync(SetBeneficiaryKeyRequest request, StatusCode code, string says)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => _results.SetBeneficiaryKeyAsync(request).ResponseAsync);
        Assert.Equal(code, refused.StatusCode);
        Assert.Contains(says, refused.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>A registration of <paramref name="publicKey"/> signed by <paramref name="signer"/> for itself, under this host's domain (chain 0, the zero pool).</summary>
    internal static SetBeneficiaryKeyRequest Signed(byte[] signer, byte[] publicKey, DateTimeOffset expiry)
    {
        var seconds = (ulong)Math.Max(0, expiry.ToUnixTimeSeconds());
        var digest = new BeneficiaryKeyRegistration(publicKey, seconds).SigningDigest(0, Address.Zero);
        return new SetBeneficiaryKeyRequest
        {
            Requester = Secp256k1.AddressOf(signer).ToLowerHex(),
            PublicKey = Hex.Encode(publicKey),
            Expiry = seconds,
            Signature = Secp256k1.Sign(digest.ToArray(), signer).ToString(),
        };
    }
}
