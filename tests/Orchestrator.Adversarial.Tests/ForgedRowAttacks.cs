using System.Diagnostics.Metrics;
using Google.Protobuf;
using Npgsql;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Adversarial.Tests.Infrastructure;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;
using Orchestrator.Simulation;
using Orchestrator.Worker.Session;
using DomainTee = Orchestrator.Domain.Deals.TeeKind;

namespace Orchestrator.Adversarial.Tests;

/// <summary>
/// Someone with write access to PostgreSQL edits stored trust under a live silo: the enclave key of a
/// worker's attestation verdict (so secrets would be sealed to the attacker), an app's accepted
/// measurement. The silo refuses the row, naming the grain, audits it, and never uses it.
/// </summary>
[Collection("pools")]
public sealed class ForgedRowAttacks(TwoPools pools)
{
    [Fact]
    public async Task A_verdict_row_whose_enclave_key_was_replaced_is_refused_naming_the_grain_and_audited()
    {
        var pool = pools.B;
        await pool.Grains.Pool().SetPolicyAsync(PoolPolicy.Default with { AllowSimulatedTee = true });
        var key = Secp256k1.NewPrivateKey();
        var worker = Secp256k1.AddressOf(key);
        await pool.Grains.Pool().AuthorizeAsync([worker]);
        using var enclave = new SimulatedEnclave(DomainTee.Sgx, platformKeyPath: null);
        using var enclaveSession = enclave.OpenSession();
        using (var session = await RawSession.HelloAsync(pool.Workers, worker, tee: TeeKind.Sgx))
        {
            var options = new WorkerOptions { PoolAddress = pool.PoolAddress.ToLowerHex(), ChainId = 31337 };
            var nonce = session.Challenge.Nonce.ToByteArray();
            await session.ProveAsync(
                EthereumMessage.Sign(SessionProofMessage.For(options, session.Challenge, [], tls: false).Message, key).ToBytes65(),
                new Evidence { Format = Orchestrator.Api.Worker.V1.EvidenceFormat.Simulated, Quote = ByteString.CopyFrom(enclaveSession.Attest(nonce, DateTimeOffset.UtcNow)), EnclavePublicKey = ByteString.CopyFrom(enclaveSession.PublicKey) });
        }

        var verdict = await pool.Grains.Worker(worker).GetAttestationAsync();
        Assert.NotNull(verdict);
        using var attackerEnclave = enclave.OpenSession();
        await ForgeAsync(pool, "worker", worker.ToLowerHex()[2..], enclaveSession.PublicKey, attackerEnclave.PublicKey);

        await AssertRefusedAsync(pool, "worker", pool.Grains.Worker(worker), () => pool.Grains.Worker(worker).GetAttestationAsync());
    }

    [Fact]
    public async Task A_policy_row_whose_measurement_was_replaced_is_refused_naming_the_grain_and_audited()
    {
        var pool = pools.B;
        var app = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        var honest = new string('a', 64);
        var set = await pool.Grains.AppPolicy(app).SetAsync(new AppAttestationPolicy { App = app, Tee = DomainTee.Sgx, MrEnclaves = [honest] });
        Assert.True(set.Accepted, string.Join("; ", set.Errors));

        await ForgeAsync(pool, "app-policy", app.ToLowerHex()[2..], System.Text.Encoding.ASCII.GetBytes(honest), System.Text.Encoding.ASCII.GetBytes(new string('b', 64)));

        await AssertRefusedAsync(pool, "app-policy", pool.Grains.AppPolicy(app), () => pool.Grains.AppPolicy(app).GetAsync());
    }

    /// <summary>Replaces bytes inside a stored row with SQL, as someone with database access would.</summary>
    private static async Task ForgeAsync(AttackedPool pool, string stateName, string grainKey, byte[] find, byte[] replace)
    {
        await using var connection = new NpgsqlConnection(pool.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT grain_id, payload FROM orch_grain_state WHERE state_name = $1 AND grain_id ILIKE $2", connection);
        read.Parameters.Add(new NpgsqlParameter { Value = stateName });
        read.Parameters.Add(new NpgsqlParameter { Value = "%" + grainKey + "%" });
        string grainId;
        byte[] payload;
        await using (var reader = await read.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync(), $"no stored '{stateName}' row for {grainKey}");
            grainId = reader.GetString(0);
            payload = (byte[])reader[1];
        }

        var at = payload.AsSpan().IndexOf(find);
        Assert.True(at >= 0, "the value to forge is stored in the row");
        replace.CopyTo(payload, at);
        await using var write = new NpgsqlCommand("UPDATE orch_grain_state SET payload = $1 WHERE state_name = $2 AND grain_id = $3", connection);
        write.Parameters.Add(new NpgsqlParameter { Value = payload });
        write.Parameters.Add(new NpgsqlParameter { Value = stateName });
        write.Parameters.Add(new NpgsqlParameter { Value = grainId });
        Assert.Equal(1, await write.ExecuteNonQueryAsync());
    }

    /// <summary>The grain is reloaded from the forged row: the call fails naming the state and the grain, and the refusal is counted.</summary>
    private static async Task AssertRefusedAsync<T>(AttackedPool pool, string stateName, IAddressable grain, Func<Task<T>> call)
    {
        long refusals = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "orchestrator.integrity.refusals") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref refusals, value));
        listener.Start();

        await grain.AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await pool.CollectIdleGrainsAsync();
        var refused = await Assert.ThrowsAnyAsync<Exception>(call);
        Assert.Contains($"stored state '{stateName}' of grain", refused.ToString(), StringComparison.Ordinal);
        Assert.Contains("fails its integrity check", refused.ToString(), StringComparison.Ordinal);
        Assert.True(Interlocked.Read(ref refusals) > 0, "the refusal is counted (orchestrator.integrity.refusals)");
    }
}
