using System.Numerics;
using System.Text;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Tests.Ids;

public sealed class ProtocolIdsTests
{
    private static readonly Hash32 Deal = Hash32.Parse("0x94757d256ec07228a010ebf3f04048487583f2818121bcef961268f4fb8db560");

    [Fact]
    public void KeccakOfEmptyStringIsEthereumsNotNistSha3()
    {
        Assert.Equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Convert.ToHexStringLower(Keccak256.Hash([])));
        // NIST SHA3-256("") differs; make sure we are not computing that.
        Assert.NotEqual("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a", Convert.ToHexStringLower(Keccak256.Hash([])));
    }

    [Fact]
    public void KeccakOfAbcAndTransferSelector()
    {
        Assert.Equal("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", Convert.ToHexStringLower(Keccak256.Hash("abc"u8)));
        var selector = Keccak256.Hash(Encoding.ASCII.GetBytes("transfer(address,uint256)"));
        Assert.Equal("a9059cbb", Convert.ToHexStringLower(selector.AsSpan(0, 4)));
    }

    [Fact]
    public void HashConcatEqualsHashOfConcatenation()
    {
        byte[] a = [1, 2, 3];
        byte[] b = [];
        byte[] c = [4, 5];
        Assert.Equal(Keccak256.Hash([1, 2, 3, 4, 5]), Keccak256.HashConcat(a, b, c));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(255UL)]
    [InlineData(256UL)]
    [InlineData(123_456_789UL)]
    [InlineData(ulong.MaxValue)]
    public void TaskIdIsKeccakOfDealIdAndBigEndianUint256Index(ulong index)
    {
        var buffer = new byte[64];
        Deal.CopyTo(buffer);
        for (var i = 0; i < 8; i++)
        {
            buffer[63 - i] = (byte)(index >> (8 * i));
        }

        var expected = new Hash32(Keccak256.Hash(buffer));
        Assert.Equal(expected, ProtocolIds.TaskId(Deal, index));
        Assert.Equal(expected, ProtocolIds.TaskId(Deal, new BigInteger(index)));
    }

    [Fact]
    public void TaskIdOfIndexZeroIsKeccakOfDealIdFollowedBy32ZeroBytes()
    {
        var buffer = Deal.ToArray().Concat(new byte[32]).ToArray();
        Assert.Equal(Hex.Encode(Keccak256.Hash(buffer)), ProtocolIds.TaskId(Deal, 0UL).ToString());
    }

    [Fact]
    public void TaskIdAcceptsIndicesBeyond64Bits()
    {
        var index = (BigInteger.One << 200) + 0x1234;
        var buffer = new byte[64];
        Deal.CopyTo(buffer);
        buffer[63] = 0x34;
        buffer[62] = 0x12;
        buffer[32 + 31 - 25] = 0x01; // bit 200 is bit 0 of byte 25 counted from the end
        Assert.Equal(new Hash32(Keccak256.Hash(buffer)), ProtocolIds.TaskId(Deal, index));
        Assert.NotEqual(ProtocolIds.TaskId(Deal, 0x1234UL), ProtocolIds.TaskId(Deal, index));
    }

    [Fact]
    public void BigIntegerAndUlongOverloadsAgreeOnRandomIndices()
    {
        var random = new Random(42);
        for (var i = 0; i < 200; i++)
        {
            var index = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 33);
            var deal = TestKit.RandomHash();
            Assert.Equal(ProtocolIds.TaskId(deal, index), ProtocolIds.TaskId(deal, new BigInteger(index)));
        }
    }

    [Fact]
    public void DistinctIndicesAndDealsGiveDistinctTaskIds()
    {
        var ids = Enumerable.Range(0, 500).Select(i => ProtocolIds.TaskId(Deal, (ulong)i)).ToHashSet();
        Assert.Equal(500, ids.Count);
        Assert.NotEqual(ProtocolIds.TaskId(Deal, 1UL), ProtocolIds.TaskId(TestKit.RandomHash(), 1UL));
    }

    [Fact]
    public void DealIdIsKeccakOfRequestHashAndConsumed()
    {
        var request = TestKit.RandomHash();
        var buffer = new byte[64];
        request.CopyTo(buffer);
        buffer[62] = 0x01;
        buffer[63] = 0x02; // consumed = 258
        Assert.Equal(new Hash32(Keccak256.Hash(buffer)), ProtocolIds.DealId(request, 258));
    }

    [Fact]
    public void ResultHashIsKeccakOfTaskIdAndDigest()
    {
        var taskId = TestKit.RandomHash();
        var digest = TestKit.RandomHash();
        var expected = Keccak256.Hash(taskId.ToArray().Concat(digest.ToArray()).ToArray());
        Assert.Equal(new Hash32(expected), ProtocolIds.ResultHash(taskId, digest));
        Assert.NotEqual(ProtocolIds.ResultHash(taskId, digest), ProtocolIds.ResultHash(digest, taskId));
    }

    [Fact]
    public void ResultSealIsKeccakOf20ByteAddressTaskIdAndDigest()
    {
        var worker = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        var taskId = TestKit.RandomHash();
        var digest = TestKit.RandomHash();
        var buffer = worker.Bytes.ToArray().Concat(taskId.ToArray()).Concat(digest.ToArray()).ToArray();
        Assert.Equal(84, buffer.Length);
        Assert.Equal(new Hash32(Keccak256.Hash(buffer)), ProtocolIds.ResultSeal(worker, taskId, digest));

        // The seal binds the digest to one worker.
        var other = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        Assert.NotEqual(ProtocolIds.ResultSeal(worker, taskId, digest), ProtocolIds.ResultSeal(other, taskId, digest));
    }

    [Fact]
    public void AuthorizationEnclaveAndContributionMessagesArePackedKeccak()
    {
        var worker = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        var challenge = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        var taskId = TestKit.RandomHash();
        var h = TestKit.RandomHash();
        var s = TestKit.RandomHash();

        var auth = worker.Bytes.ToArray().Concat(taskId.ToArray()).Concat(challenge.Bytes.ToArray()).ToArray();
        Assert.Equal(new Hash32(Keccak256.Hash(auth)), ProtocolIds.WorkerAuthorizationMessage(worker, taskId, challenge));
        Assert.Equal(new Hash32(Keccak256.Hash(h.ToArray().Concat(s.ToArray()).ToArray())), ProtocolIds.EnclaveMessage(h, s));
        Assert.Equal(
            new Hash32(Keccak256.Hash(taskId.ToArray().Concat(h.ToArray()).Concat(s.ToArray()).ToArray())),
            ProtocolIds.ContributionMessage(taskId, h, s));
    }

    [Fact]
    public void WriteUInt256WritesBigEndianRightAligned()
    {
        var destination = Enumerable.Repeat((byte)0xEE, 32).ToArray();
        ProtocolIds.WriteUInt256(0x010203, destination);
        var expected = new byte[32];
        expected[29] = 1;
        expected[30] = 2;
        expected[31] = 3;
        Assert.Equal(expected, destination);

        var max = (BigInteger.One << 256) - 1;
        ProtocolIds.WriteUInt256(max, destination);
        Assert.All(destination, b => Assert.Equal(0xFF, b));

        ProtocolIds.WriteUInt256(BigInteger.Zero, destination);
        Assert.All(destination, b => Assert.Equal(0, b));

        // A value whose top bit is set in its highest byte (no sign byte needed when unsigned).
        ProtocolIds.WriteUInt256(0x80, destination);
        Assert.Equal(0x80, destination[31]);
        Assert.Equal(0, destination[30]);
    }

    [Fact]
    public void WriteUInt256RejectsNegativeAndOversizedValues()
    {
        var destination = new byte[32];
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolIds.WriteUInt256(BigInteger.MinusOne, destination));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolIds.WriteUInt256(BigInteger.One << 256, destination));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolIds.TaskId(Deal, BigInteger.MinusOne));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolIds.TaskId(Deal, BigInteger.One << 256));
    }
}
