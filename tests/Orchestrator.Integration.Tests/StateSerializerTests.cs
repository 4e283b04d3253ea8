using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Grains.Workers;
using Orchestrator.Host.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orchestrator.Integration.Tests;

/// <summary>
/// The pooled state serializer writes what Orleans' own storage serializer writes, byte for byte (state written by
/// either is read by the other, so a rolling update and rows already stored keep working), in one exact-size array.
/// </summary>
public sealed class StateSerializerTests
{
    private readonly Serializer _serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void A_state_larger_than_the_first_buffer_is_written_as_orleans_writes_it_and_read_back()
    {
        var sample = new SerializedSample { At = DateTimeOffset.UnixEpoch.AddDays(20_000) };
        for (var i = 0; i < 200; i++)
        {
            sample.Names.Add($"name-{i}");
            sample.Blobs[i] = [.. Enumerable.Range(0, i % 37).Select(b => (byte)(b * i))];
        }

        var ours = new StateSerializer(_serializer);
        var orleans = new OrleansGrainStorageSerializer(_serializer);
        var written = ours.Serialize(sample);

        Assert.True(written.ToMemory().Length > 4096, "the sample must outgrow Orleans' first buffers");
        Assert.Equal(orleans.Serialize(sample).ToArray(), written.ToArray());
        var read = orleans.Deserialize<SerializedSample>(written)!;
        Assert.Equal(sample.Names, read.Names);
        Assert.Equal(sample.Blobs[199], read.Blobs[199]);
        Assert.Equal(sample.At, ours.Deserialize<SerializedSample>(orleans.Serialize(sample)).At);
    }

    [Fact]
    public void A_project_state_is_written_as_orleans_writes_it()
    {
        var state = new WorkerGrainState { SimulatedTee = true };
        Assert.Equal(new OrleansGrainStorageSerializer(_serializer).Serialize(state).ToArray(), new StateSerializer(_serializer).Serialize(state).ToArray());
    }

    [Fact]
    public void The_bytes_of_its_own_payload_are_its_array_and_a_slice_is_copied()
    {
        var payload = new StateSerializer(_serializer).Serialize(new SerializedSample());
        var bytes = StateSerializer.Bytes(payload);
        Assert.Equal(payload.ToMemory().Length, bytes.Length);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload.ToMemory(), out var segment));
        Assert.Same(segment.Array, bytes);

        var backing = new byte[] { 1, 2, 3, 4, 5 };
        var slice = StateSerializer.Bytes(new BinaryData(backing.AsMemory(1, 3)));
        Assert.Equal(new byte[] { 2, 3, 4 }, slice);
        Assert.NotSame(backing, slice);
    }
}

[GenerateSerializer, Alias("orch.it.SerializedSample")]
public sealed class SerializedSample
{
    [Id(0)] public List<string> Names { get; set; } = [];
    [Id(1)] public Dictionary<int, byte[]> Blobs { get; set; } = [];
    [Id(2)] public DateTimeOffset At { get; set; }
}
