using CsCheck;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Scheduling;

namespace Orchestrator.Domain.Tests.Scheduling;

public sealed class SchedulingPolicyTests
{
    private static readonly WorkerCapabilities Big = new(TeeKind.None, 16, 65_536, true, 4, []);

    private static TaskRequirements Task(TeeKind tee = TeeKind.None, int cores = 1, int memory = 512, bool gpu = false, int category = 0)
        => new(tee, cores, memory, gpu, category);

    [Fact]
    public void SgxTaskNeverGoesToATdxWorkerAndViceVersa()
    {
        var sgx = Big with { Tee = TeeKind.Sgx };
        var tdx = Big with { Tee = TeeKind.Tdx };
        Assert.Equal(MismatchReason.TeeKind, SchedulingPolicy.Match(Task(TeeKind.Sgx), tdx, 4));
        Assert.Equal(MismatchReason.TeeKind, SchedulingPolicy.Match(Task(TeeKind.Tdx), sgx, 4));
        Assert.Equal(MismatchReason.TeeKind, SchedulingPolicy.Match(Task(TeeKind.Sgx), Big, 4));
        Assert.Equal(MismatchReason.TeeKind, SchedulingPolicy.Match(Task(TeeKind.Tdx), Big, 4));
        Assert.Equal(MismatchReason.None, SchedulingPolicy.Match(Task(TeeKind.Sgx), sgx, 4));
        Assert.Equal(MismatchReason.None, SchedulingPolicy.Match(Task(TeeKind.Tdx), tdx, 4));
    }

    [Fact]
    public void StandardTasksRunOnTeeMachinesOnlyWhenAllowed()
    {
        var sgx = Big with { Tee = TeeKind.Sgx };
        Assert.Equal(MismatchReason.None, SchedulingPolicy.Match(Task(), sgx, 1));
        Assert.Equal(MismatchReason.TeeKind, SchedulingPolicy.Match(Task(), sgx, 1, teeWorkersRunStandardTasks: false));
        Assert.Equal(MismatchReason.None, SchedulingPolicy.Match(Task(), Big, 1, teeWorkersRunStandardTasks: false));
    }

    [Fact]
    public void TagsAndKindsAgree()
    {
        Assert.Equal(TeeKind.Sgx, new TeeTag(0x3).Kind);
        Assert.Equal(TeeKind.Sgx, new TeeTag(0x5).Kind);
        Assert.Equal(TeeKind.Tdx, new TeeTag(0x9).Kind);
        Assert.Equal(TeeKind.None, TeeTag.NoTee.Kind);
        Assert.True(new TeeTag(0x3).IsSatisfiedBy(TeeTag.Offered(TeeKind.Sgx)));
        Assert.True(new TeeTag(0x5).IsSatisfiedBy(TeeTag.Offered(TeeKind.Sgx)));
        Assert.False(new TeeTag(0x9).IsSatisfiedBy(TeeTag.Offered(TeeKind.Sgx)));
        Assert.False(new TeeTag(0x3).IsSatisfiedBy(TeeTag.Offered(TeeKind.Tdx)));
        Assert.True(new TeeTag(0x9).IsSatisfiedBy(TeeTag.Offered(TeeKind.Tdx)));
        Assert.False(new TeeTag(0x3).IsSatisfiedBy(TeeTag.Offered(TeeKind.None)));
        for (uint bits = 0; bits < 16; bits++)
        {
            Assert.Equal(bits is 0 or 0x3 or 0x5 or 0x9, new TeeTag(bits).IsValidDealTag);
        }
    }

    [Fact]
    public void ResourcesCategoryAndSlotsAreChecked()
    {
        var small = new WorkerCapabilities(TeeKind.None, 2, 1_024, false, 1, [0, 1]);
        Assert.Equal(MismatchReason.None, SchedulingPolicy.Match(Task(cores: 2, memory: 1_024, category: 1), small, 1));
        Assert.Equal(MismatchReason.Cores, SchedulingPolicy.Match(Task(cores: 3), small, 1));
        Assert.Equal(MismatchReason.Memory, SchedulingPolicy.Match(Task(memory: 1_025), small, 1));
        Assert.Equal(MismatchReason.Gpu, SchedulingPolicy.Match(Task(gpu: true), small, 1));
        Assert.Equal(MismatchReason.Category, SchedulingPolicy.Match(Task(category: 2), small, 1));
        Assert.Equal(MismatchReason.NoFreeSlot, SchedulingPolicy.Match(Task(), small, 0));
        Assert.Equal(MismatchReason.NoFreeSlot, SchedulingPolicy.Match(Task(), small, -1));
        Assert.Equal(MismatchReason.None, SchedulingPolicy.Match(Task(category: 4), Big, 1)); // no list: every category
    }

    [Fact]
    public void AWorkerThatHoldsAReplicateNeverGetsAnother()
    {
        var me = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        var other = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        Assert.Equal(MismatchReason.None, SchedulingPolicy.Match(Task(), Big, 1, me, [other]));
        Assert.Equal(MismatchReason.AlreadyHoldsReplicate, SchedulingPolicy.Match(Task(), Big, 1, me, [other, me]));
    }

    [Fact]
    public void DispatchClassesCoverWhatTheWorkerCanRun()
    {
        Assert.Equal(["sgx-gpu", "sgx-cpu", "none-gpu", "none-cpu"], SchedulingPolicy.DispatchClassesFor(Big with { Tee = TeeKind.Sgx }));
        Assert.Equal(["tdx-cpu"], SchedulingPolicy.DispatchClassesFor(Big with { Tee = TeeKind.Tdx, Gpu = false }, teeWorkersRunStandardTasks: false));
        Assert.Equal(["none-cpu"], SchedulingPolicy.DispatchClassesFor(Big with { Gpu = false }));
        Assert.Equal("tdx-gpu", Task(TeeKind.Tdx, gpu: true).DispatchClass);
    }

    private static readonly Gen<TaskRequirements> GenRequirements =
        Gen.Select(Gen.Enum<TeeKind>(), Gen.Int[1, 16], Gen.Int[1, 8_192], Gen.Bool, Gen.Int[0, 5])
            .Select((tee, cores, memory, gpu, category) => new TaskRequirements(tee, cores, memory, gpu, category));

    private static readonly Gen<WorkerCapabilities> GenCapabilities =
        Gen.Select(Gen.Enum<TeeKind>(), Gen.Int[1, 16], Gen.Int[1, 8_192], Gen.Bool, Gen.Int[1, 8], Gen.Int[0, 5].Array[0, 3])
            .Select((tee, cores, memory, gpu, slots, categories) => new WorkerCapabilities(tee, cores, memory, gpu, slots, categories));

    [Fact]
    public void MatchIsNoneExactlyWhenEveryConstraintHolds()
    {
        Gen.Select(GenRequirements, GenCapabilities, Gen.Int[-1, 4], Gen.Bool, Gen.Int[0, 3], Gen.Bool)
            .Sample((req, cap, freeSlots, teeRunsStandard, holderCount, holds) =>
            {
                var me = new Address(Enumerable.Repeat((byte)0x77, 20).ToArray());
                var holders = Enumerable.Range(1, holderCount).Select(i => new Address(Enumerable.Repeat((byte)i, 20).ToArray())).ToList();
                if (holds) holders.Add(me);

                var teeOk = req.Tee == TeeKind.None ? cap.Tee == TeeKind.None || teeRunsStandard : cap.Tee == req.Tee;
                var allHold = freeSlots >= 1
                    && teeOk
                    && req.Cores <= cap.Cores
                    && req.MemoryMb <= cap.MemoryMb
                    && (!req.Gpu || cap.Gpu)
                    && (cap.Categories.Count == 0 || cap.Categories.Contains(req.CategoryId));

                var plain = SchedulingPolicy.Match(req, cap, freeSlots, teeRunsStandard);
                Assert.Equal(allHold, plain == MismatchReason.None);

                var withHolders = SchedulingPolicy.Match(req, cap, freeSlots, me, holders, teeRunsStandard);
                Assert.Equal(allHold && !holds, withHolders == MismatchReason.None);
                if (holds) Assert.NotEqual(MismatchReason.None, withHolders);

                // Never an SGX task on a TDX machine or the reverse (a full worker is refused for that first).
                if (freeSlots >= 1 && req.Tee != TeeKind.None && cap.Tee != req.Tee) Assert.Equal(MismatchReason.TeeKind, plain);
            }, iter: 5_000);
    }
}
