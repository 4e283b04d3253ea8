using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Adversarial.Tests.Infrastructure;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Adversarial.Tests;

/// <summary>Messages past the server's size cap (Orchestrator:Api:MaxMessageBytes, 64 KiB here).</summary>
[Collection("pools")]
public sealed class OversizedMessageAttacks(TwoPools pools)
{
    [Fact]
    public async Task An_oversized_hello_ends_the_stream_resource_exhausted_before_anything_is_read_or_written()
    {
        var pool = pools.A;
        var worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        await pool.Grains.Pool().AuthorizeAsync([worker]);
        var rows = await pool.CountStateRowsAsync();

        using var call = pool.Workers.Connect();
        var hello = new Hello
        {
            WorkerAddress = worker.ToLowerHex(),
            Capabilities = new Capabilities { Tee = TeeKind.None, Cores = 2, MemoryMb = 2048, Slots = 1 },
            AgentVersion = new string('x', 200 * 1024),
        };
        try
        {
            await call.RequestStream.WriteAsync(new WorkerMessage { Hello = hello });
        }
        catch (RpcException)
        {
            // the server may end the call while the message is still being sent; its status is read below
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.DoesNotContain(worker, await pool.Grains.Pool().ListWorkersAsync());
        Assert.False(await pool.IsAnyGrainActiveAsync(worker.ToLowerHex()));
        Assert.Equal(rows, await pool.CountStateRowsAsync());
    }
}
