using System.Buffers.Binary;
using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Ids;

/// <summary>
/// The PoCo identifiers and the hashes that bind results to tasks and workers (as PoCo defines them: keccak256 over abi.encodePacked bytes).
/// Every formula is Solidity's abi.encodePacked followed by Keccak-256.
/// </summary>
public static class ProtocolIds
{
    /// <summary>taskId = keccak256(dealId ‖ uint256 idx).</summary>
    public static Hash32 TaskId(Hash32 dealId, BigInteger index)
    {
        Span<byte> buffer = stackalloc byte[64];
        dealId.CopyTo(buffer);
        WriteUInt256(index, buffer[32..]);
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(buffer, hash);
        return new Hash32(hash);
    }

    /// <summary>dealId = keccak256(requestHash ‖ uint256 consumed), as PoCo derives it from the request order and how much of it was already consumed.</summary>
    public static Hash32 DealId(Hash32 requestHash, BigInteger consumed)
    {
        Span<byte> buffer = stackalloc byte[64];
        requestHash.CopyTo(buffer);
        WriteUInt256(consumed, buffer[32..]);
        return new Hash32(Keccak256.Hash(buffer));
    }

    /// <summary>resultHash = keccak256(taskId ‖ resultDigest).</summary>
    public static Hash32 ResultHash(Hash32 taskId, Hash32 resultDigest)
    {
        Span<byte> buffer = stackalloc byte[64];
        taskId.CopyTo(buffer);
        resultDigest.CopyTo(buffer[32..]);
        return new Hash32(Keccak256.Hash(buffer));
    }

    /// <summary>resultSeal = keccak256(worker (20 bytes) ‖ taskId ‖ resultDigest): binds a digest to one worker.</summary>
    public static Hash32 ResultSeal(Address worker, Hash32 taskId, Hash32 resultDigest)
    {
        Span<byte> buffer = stackalloc byte[84];
        worker.Bytes.CopyTo(buffer);
        taskId.CopyTo(buffer[20..]);
        resultDigest.CopyTo(buffer[52..]);
        return new Hash32(Keccak256.Hash(buffer));
    }

    /// <summary>The message the scheduler signs (EIP-191) to authorize a worker: keccak256(worker ‖ taskId ‖ enclaveChallenge).</summary>
    public static Hash32 WorkerAuthorizationMessage(Address worker, Hash32 taskId, Address enclaveChallenge)
    {
        Span<byte> buffer = stackalloc byte[72];
        worker.Bytes.CopyTo(buffer);
        taskId.CopyTo(buffer[20..]);
        enclaveChallenge.Bytes.CopyTo(buffer[52..]);
        return new Hash32(Keccak256.Hash(buffer));
    }

    /// <summary>The message an enclave signs (EIP-191) with its challenge key: keccak256(resultHash ‖ resultSeal).</summary>
    public static Hash32 EnclaveMessage(Hash32 resultHash, Hash32 resultSeal)
    {
        Span<byte> buffer = stackalloc byte[64];
        resultHash.CopyTo(buffer);
        resultSeal.CopyTo(buffer[32..]);
        return new Hash32(Keccak256.Hash(buffer));
    }

    /// <summary>
    /// The message a worker signs (EIP-191) for its contribution: keccak256(taskId ‖ resultHash ‖ resultSeal).
    /// Where PoCo has the worker send the contribute transaction itself, our bridge batches them, so the
    /// worker's signature stands in for msg.sender and the contract checks it.
    /// </summary>
    public static Hash32 ContributionMessage(Hash32 taskId, Hash32 resultHash, Hash32 resultSeal)
    {
        Span<byte> buffer = stackalloc byte[96];
        taskId.CopyTo(buffer);
        resultHash.CopyTo(buffer[32..]);
        resultSeal.CopyTo(buffer[64..]);
        return new Hash32(Keccak256.Hash(buffer));
    }

    /// <summary>Writes an unsigned integer as 32 big-endian bytes; throws when it does not fit uint256.</summary>
    public static void WriteUInt256(BigInteger value, Span<byte> destination)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "uint256 cannot be negative");
        }

        destination[..32].Clear();
        if (!value.TryWriteBytes(destination[..32], out var written, isUnsigned: true, isBigEndian: true))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "value does not fit in uint256");
        }

        if (written < 32)
        {
            // TryWriteBytes writes left-aligned; shift right so the number is big-endian in 32 bytes.
            var tmp = destination[..written].ToArray();
            destination[..32].Clear();
            tmp.CopyTo(destination[(32 - written)..]);
        }
    }

    /// <summary>uint64 fast path of <see cref="TaskId(Hash32, BigInteger)"/>.</summary>
    public static Hash32 TaskId(Hash32 dealId, ulong index)
    {
        Span<byte> buffer = stackalloc byte[64];
        dealId.CopyTo(buffer);
        buffer[32..56].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(buffer[56..], index);
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(buffer, hash);
        return new Hash32(hash);
    }
}
