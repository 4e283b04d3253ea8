// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title OrchestratorHub — PoCo-style deals, batched task finalization, native-currency escrow.
/// @notice The on-chain side of the Orchestrator. It follows iExec's Proof-of-Contribution (PoCo)
/// rules for ids, deadlines, consensus and rewards, with these deliberate differences:
///
///  * **Batched finalization.** PoCo sends one transaction per step (initialize, contribute,
///    reveal, finalize). Here contribution, consensus and reveal happen off chain in the
///    orchestrator; the pool's scheduler account then submits many finished tasks in one
///    `finalizeBatch` transaction, carrying every contribution with the worker's signature, and
///    the contract re-checks the signatures and recomputes the consensus from on-chain scores
///    before paying anyone.
///  * **No initialize step.** Every task of a deal exists implicitly from the deal's creation
///    (index `botFirst .. botFirst+botSize-1`); there is no `initialize`/`initializeBatch`.
///    On chain a task is therefore UNSET until it is COMPLETED or FAILED; ACTIVE and REVEALING
///    exist only in the orchestrator (see `taskStatusOf` for the "exists and not final" view).
///  * **Native currency.** Escrow, stakes and rewards are in the chain's native currency (ETH on
///    Anvil) rather than an ERC-20 token, for simplicity. Payouts are credited to internal
///    balances (`balanceOf`) and leave the contract only through `withdraw` (pull pattern).
///  * **Stakes are atomic.** A contributor's stake (30 % of the task price) is checked against
///    its free balance, locked, and then released (winner) or seized (everyone else) inside the
///    same `finalizeBatch` call, so `frozenOf` is always zero between transactions.
///    Tasks of a batch are processed in order, each with the balances left by the previous one.
///  * **Seized stakes go to the pool.** In this contract a seized stake is added to the pool's
///    (scheduler's) share; the workers' reward is always `taskPrice·(100 − ratio)/100`.
///  * **Pools are keyed by their owner's address.** The pool owner calls `registerPool` and
///    names the scheduler account that may finalize its deals' tasks; the pool's share of every
///    task is credited to the pool owner's balance. Calling `registerPool` again rotates the
///    scheduler (effective immediately for all deals) and sets the ratio for future deals
///    (a deal keeps the ratio in force at its creation).
///  * **Reopened tasks.** The consensus is recomputed over all submitted contributions in order.
///    A task that went through a PoCo "reopen" (winning group removed after no reveal) must be
///    submitted with the contributions that still count.
contract OrchestratorHub {
    // ---------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------

    /// @notice On-chain task statuses (PoCo numbering). Only COMPLETED and FAILED are stored.
    uint8 public constant STATUS_UNSET = 0;
    uint8 public constant STATUS_ACTIVE = 1;
    uint8 public constant STATUS_REVEALING = 2;
    uint8 public constant STATUS_COMPLETED = 3;
    uint8 public constant STATUS_FAILED = 4;

    /// @notice A contributor's stake, in percent of the deal's task price.
    uint256 public constant WORKER_STAKE_RATIO_PERCENT = 30;
    /// @notice contributionDeadline = startTime + 7·timeref.
    uint256 public constant CONTRIBUTION_DEADLINE_RATIO = 7;
    /// @notice revealDeadline = consensusTime + 2·timeref (off chain only here).
    uint256 public constant REVEAL_DEADLINE_RATIO = 2;
    /// @notice finalDeadline = startTime + 10·timeref.
    uint256 public constant FINAL_DEADLINE_RATIO = 10;
    /// @notice Number of categories: XS, S, M, L, XL (indices 0..4).
    uint8 public constant CATEGORY_COUNT = 5;

    /// @dev secp256k1n / 2: signatures with a larger s are malleable and refused.
    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    /// @dev Low 4 bits of a tag: 0x1 TEE, 0x2 SGX/Scone, 0x4 SGX/Gramine, 0x8 TDX.
    uint256 private constant TEE_BITS = 0xF;

    // ---------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------

    /// @notice What a requester submits to `createDeal`.
    struct DealParams {
        address pool; // the pool owner's address (pools are keyed by owner)
        address app;
        address dataset; // zero for none
        uint8 category; // 0 XS (300 s), 1 S (1200 s), 2 M (3600 s), 3 L (10800 s), 4 XL (36000 s)
        uint256 trust; // 0 and 1 both mean "one contribution suffices"
        bytes32 tag; // low 4 bits: 0x0 (no TEE), 0x3, 0x5 or 0x9
        uint256 botFirst; // first task index
        uint256 botSize; // number of tasks
        uint256 taskPrice; // workerpool price per task, in wei
        string params; // task parameters (emitted, only its keccak256 is stored)
        bytes32 salt; // makes otherwise identical deals distinct
    }

    /// @notice A stored deal, as returned by `deal`.
    struct Deal {
        address requester;
        uint40 startTime;
        uint8 category;
        uint8 schedulerRewardRatioPercent; // snapshot of the pool's ratio at creation
        bool tee; // tag bit 0x1
        address pool;
        address app;
        address dataset;
        uint256 trust;
        bytes32 tag;
        uint256 botFirst;
        uint256 botSize;
        uint256 taskPrice;
        bytes32 paramsHash; // keccak256(bytes(params))
    }

    /// @notice One worker's contribution to a task, as recorded by the orchestrator.
    struct Contribution {
        address worker;
        bytes32 resultHash; // keccak256(taskId ‖ resultDigest) for an honest worker
        bytes32 resultSeal; // keccak256(worker ‖ taskId ‖ resultDigest)
        address enclaveChallenge; // zero for non-TEE deals
        bytes workerSignature; // 65 bytes r‖s‖v, EIP-191 over keccak256(taskId ‖ resultHash ‖ resultSeal)
        bytes enclaveSignature; // 65 bytes, EIP-191 over keccak256(resultHash ‖ resultSeal); empty if no challenge
        bool revealed; // the worker revealed the digest before the reveal deadline
    }

    /// @notice One finished task in a `finalizeBatch` call.
    struct TaskResult {
        bytes32 dealId;
        uint256 idx;
        bytes32 resultDigest;
        Contribution[] contributions; // in the order the orchestrator accepted them
    }

    /// @dev A pool, keyed by its owner's address.
    struct Pool {
        address scheduler;
        uint8 schedulerRewardRatioPercent;
    }

    /// @dev One slot per account: free balance and score. (Stakes never stay frozen, see above.)
    struct Account {
        uint224 balance;
        uint32 score;
    }

    /// @dev The fields of a deal that finalization needs, loaded once per run of same-deal tasks.
    struct DealCtx {
        bytes32 dealId;
        address pool;
        bool tee;
        uint256 trust;
        uint256 botFirst;
        uint256 botSize;
        uint256 taskPrice;
        uint256 schedulerRewardRatioPercent;
        uint256 finalDeadline;
    }

    // ---------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------

    mapping(address => Pool) private _pools;
    mapping(address => Account) private _accounts;
    mapping(bytes32 => Deal) private _deals;
    /// @dev Per task, one slot: bits 0..7 status, 8..39 contributors, 40..79 block timestamp.
    mapping(bytes32 => uint256) private _tasks;

    // ---------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------

    event PoolRegistered(address indexed pool, address indexed scheduler, uint256 schedulerRewardRatioPercent);
    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event DealCreated(
        bytes32 indexed dealId,
        address indexed requester,
        address indexed pool,
        address app,
        address dataset,
        uint8 category,
        uint256 trust,
        bytes32 tag,
        uint256 botFirst,
        uint256 botSize,
        uint256 taskPrice,
        uint256 startTime,
        string params
    );
    event TaskFinalized(bytes32 indexed taskId, bytes32 indexed dealId, bytes32 resultDigest, uint256 contributors);
    event TaskFailed(bytes32 indexed taskId, bytes32 indexed dealId);

    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    error ZeroAddress();
    error InvalidRewardRatio(uint256 ratio);
    error UnknownPool(address pool);
    error InvalidCategory(uint8 category);
    error InvalidTag(bytes32 tag);
    error InvalidTrust(uint256 trust);
    error EmptyDeal();
    error WrongEscrow(uint256 expected, uint256 received);
    error DealExists(bytes32 dealId);
    error UnknownDeal(bytes32 dealId);
    error NotScheduler(address caller, address scheduler);
    error InvalidTaskIndex(bytes32 dealId, uint256 idx);
    error TaskAlreadyFinal(bytes32 taskId);
    error TaskExpired(bytes32 taskId, uint256 finalDeadline);
    error TaskNotExpired(bytes32 taskId, uint256 finalDeadline);
    error NoContribution(bytes32 taskId);
    error DuplicateWorker(bytes32 taskId, address worker);
    error BadWorkerSignature(bytes32 taskId, address worker);
    error BadEnclaveSignature(bytes32 taskId, address worker);
    error InsufficientStake(bytes32 taskId, address worker, uint256 required, uint256 available);
    error NoConsensus(bytes32 taskId);
    error BadReveal(bytes32 taskId, address worker);
    error NoReveal(bytes32 taskId);
    error InsufficientBalance(uint256 requested, uint256 available);
    error LengthMismatch();
    error TransferFailed();
    error AmountTooLarge();

    // ---------------------------------------------------------------------------------------
    // Pools
    // ---------------------------------------------------------------------------------------

    /// @notice Registers (or updates) the caller's pool. The pool's id is the caller's address.
    /// @param scheduler The account allowed to finalize the pool's deals' tasks.
    /// @param schedulerRewardRatioPercent The pool's share of each task's price, 0..100; it
    ///        applies to deals created after this call.
    /// @return poolId The pool's id: `msg.sender`.
    function registerPool(address scheduler, uint256 schedulerRewardRatioPercent) external returns (address poolId) {
        if (scheduler == address(0)) revert ZeroAddress();
        if (schedulerRewardRatioPercent > 100) revert InvalidRewardRatio(schedulerRewardRatioPercent);
        _pools[msg.sender] = Pool(scheduler, uint8(schedulerRewardRatioPercent));
        emit PoolRegistered(msg.sender, scheduler, schedulerRewardRatioPercent);
        return msg.sender;
    }

    /// @notice A pool's scheduler (zero if not registered) and current reward ratio.
    function poolOf(address pool) external view returns (address scheduler, uint256 schedulerRewardRatioPercent) {
        Pool storage p = _pools[pool];
        return (p.scheduler, p.schedulerRewardRatioPercent);
    }

    // ---------------------------------------------------------------------------------------
    // Accounts
    // ---------------------------------------------------------------------------------------

    /// @notice Adds `msg.value` to the caller's free balance (workers' stakes live here).
    function deposit() external payable {
        _credit(msg.sender, msg.value);
        emit Deposited(msg.sender, msg.value);
    }

    /// @notice Adds `msg.value` to `account`'s free balance.
    function depositFor(address account) external payable {
        if (account == address(0)) revert ZeroAddress();
        _credit(account, msg.value);
        emit Deposited(account, msg.value);
    }

    /// @notice Sends `amount` of the caller's free balance to the caller.
    function withdraw(uint256 amount) external {
        Account storage a = _accounts[msg.sender];
        uint256 bal = a.balance;
        if (amount > bal) revert InsufficientBalance(amount, bal);
        a.balance = uint224(bal - amount);
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice Free balance: deposits, rewards and refunds, minus withdrawals and seized stakes.
    function balanceOf(address account) external view returns (uint256) {
        return _accounts[account].balance;
    }

    /// @notice Always zero between transactions: stakes are locked and released or seized
    /// within `finalizeBatch` (kept for parity with PoCo's account interface).
    function frozenOf(address) external pure returns (uint256) {
        return 0;
    }

    /// @notice A worker's score: +1 per accurate contribution to a replicated task,
    /// ×2/3 (floor) per rejected or unrevealed contribution.
    function scoreOf(address account) external view returns (uint256) {
        return _accounts[account].score;
    }

    // ---------------------------------------------------------------------------------------
    // Deals
    // ---------------------------------------------------------------------------------------

    /// @notice Creates a deal for `p.botSize` tasks with its escrow.
    /// @dev Rules: the pool is registered; `category < 5`; `botSize > 0`; the tag's low 4 bits
    /// are 0x0, 0x3, 0x5 or 0x9 and a TEE tag (bit 0x1) allows only `trust` 0 or 1;
    /// `msg.value == botSize·taskPrice`; the deal id is new.
    /// `requestHash = keccak256(abi.encode(requester, pool, app, dataset, category, trust, tag,
    /// botFirst, botSize, taskPrice, keccak256(bytes(params)), salt))` and
    /// `dealId = keccak256(abi.encodePacked(requestHash, uint256(0)))`. `startTime` is the
    /// block's timestamp; every task's final deadline is `startTime + 10·timeref(category)`.
    function createDeal(DealParams calldata p) external payable returns (bytes32 dealId) {
        Pool storage pool = _pools[p.pool];
        if (pool.scheduler == address(0)) revert UnknownPool(p.pool);
        if (p.category >= CATEGORY_COUNT) revert InvalidCategory(p.category);
        if (p.botSize == 0) revert EmptyDeal();
        bool tee = _checkTag(p.tag);
        if (tee && p.trust > 1) revert InvalidTrust(p.trust);
        uint256 expected = p.botSize * p.taskPrice;
        if (msg.value != expected) revert WrongEscrow(expected, msg.value);

        bytes32 paramsHash = keccak256(bytes(p.params));
        (, dealId) = _dealId(msg.sender, p, paramsHash);
        Deal storage d = _deals[dealId];
        if (d.requester != address(0)) revert DealExists(dealId);

        d.requester = msg.sender;
        d.startTime = uint40(block.timestamp);
        d.category = p.category;
        d.schedulerRewardRatioPercent = pool.schedulerRewardRatioPercent;
        d.tee = tee;
        d.pool = p.pool;
        d.app = p.app;
        d.dataset = p.dataset;
        d.trust = p.trust;
        d.tag = p.tag;
        d.botFirst = p.botFirst;
        d.botSize = p.botSize;
        d.taskPrice = p.taskPrice;
        d.paramsHash = paramsHash;
        _emitDealCreated(dealId, p);
    }

    function _emitDealCreated(bytes32 dealId, DealParams calldata p) private {
        emit DealCreated(
            dealId,
            msg.sender,
            p.pool,
            p.app,
            p.dataset,
            p.category,
            p.trust,
            p.tag,
            p.botFirst,
            p.botSize,
            p.taskPrice,
            block.timestamp,
            p.params
        );
    }

    /// @notice The request hash and deal id `createDeal` would give for `requester` and `p`.
    function computeDealId(address requester, DealParams calldata p)
        external
        pure
        returns (bytes32 requestHash, bytes32 dealId)
    {
        return _dealId(requester, p, keccak256(bytes(p.params)));
    }

    /// @notice The stored deal (all zero if unknown).
    function deal(bytes32 dealId) external view returns (Deal memory) {
        return _deals[dealId];
    }

    /// @notice A deal's contribution deadline (startTime + 7·timeref) and final deadline
    /// (startTime + 10·timeref). Reverts for an unknown deal.
    function dealDeadlines(bytes32 dealId)
        external
        view
        returns (uint256 contributionDeadline, uint256 finalDeadline)
    {
        Deal storage d = _deals[dealId];
        if (d.requester == address(0)) revert UnknownDeal(dealId);
        uint256 t = timeref(d.category);
        return (d.startTime + CONTRIBUTION_DEADLINE_RATIO * t, d.startTime + FINAL_DEADLINE_RATIO * t);
    }

    /// @notice The category's reference time in seconds: XS 300, S 1200, M 3600, L 10800, XL 36000.
    function timeref(uint8 category) public pure returns (uint256) {
        if (category == 0) return 300;
        if (category == 1) return 1200;
        if (category == 2) return 3600;
        if (category == 3) return 10800;
        if (category == 4) return 36000;
        revert InvalidCategory(category);
    }

    // ---------------------------------------------------------------------------------------
    // Tasks: views
    // ---------------------------------------------------------------------------------------

    /// @notice `keccak256(abi.encodePacked(dealId, idx))`.
    function taskId(bytes32 dealId, uint256 idx) public pure returns (bytes32 id) {
        assembly ("memory-safe") {
            mstore(0x00, dealId)
            mstore(0x20, idx)
            id := keccak256(0x00, 0x40)
        }
    }

    /// @notice The stored status of a task: 0 UNSET (not final; tasks exist implicitly, the
    /// intermediate ACTIVE/REVEALING states live off chain), 3 COMPLETED or 4 FAILED.
    function taskStatus(bytes32 id) external view returns (uint8) {
        return uint8(_tasks[id]);
    }

    /// @notice Like `taskStatus`, but knows the deal: 0 UNSET if the deal or index does not
    /// exist, 1 ACTIVE if the task exists and is not final, else 3 COMPLETED or 4 FAILED.
    function taskStatusOf(bytes32 dealId, uint256 idx) external view returns (uint8) {
        Deal storage d = _deals[dealId];
        if (d.requester == address(0) || idx < d.botFirst || idx - d.botFirst >= d.botSize) return STATUS_UNSET;
        uint8 s = uint8(_tasks[taskId(dealId, idx)]);
        return s == STATUS_UNSET ? STATUS_ACTIVE : s;
    }

    /// @notice True once a task is COMPLETED or FAILED; a final task never changes again.
    function isFinal(bytes32 id) external view returns (bool) {
        return _tasks[id] != 0;
    }

    /// @notice A final task's status, number of contributors (0 for a failed task) and the
    /// block timestamp of its finalization or claim; all zero if not final.
    function taskInfo(bytes32 id) external view returns (uint8 status, uint256 contributors, uint256 finalizedAt) {
        uint256 v = _tasks[id];
        return (uint8(v), uint32(v >> 8), uint40(v >> 40));
    }

    // ---------------------------------------------------------------------------------------
    // Tasks: batched finalization
    // ---------------------------------------------------------------------------------------

    /// @notice Finalizes many tasks in one transaction. Caller: the scheduler of every task's
    /// pool. Any failing task reverts the whole batch (so nothing is ever paid twice).
    /// @dev For each task, in order:
    ///  1. `botFirst ≤ idx < botFirst+botSize`; the task is not final (else
    ///     `TaskAlreadyFinal(taskId)`); `block.timestamp < finalDeadline`; ≥ 1 contribution.
    ///  2. Every contribution: distinct worker; `workerSignature` is the worker's EIP-191
    ///     (personal_sign) signature of `keccak256(taskId ‖ resultHash ‖ resultSeal)` (65 bytes,
    ///     v ∈ {27,28}, low s). If the deal is TEE, `enclaveChallenge` is non-zero; whenever it is
    ///     non-zero, `enclaveSignature` is its EIP-191 signature of `keccak256(resultHash ‖
    ///     resultSeal)` (the scheduler authorizes the challenge by submitting it).
    ///  3. TEE fast path (TEE tag, trust ≤ 1, exactly one contribution): the contribution must
    ///     be revealed with a matching hash and seal; the worker gets the workers' reward, no
    ///     stake, no score change; the pool gets the rest.
    ///  4. Otherwise PoCo consensus: `trust = max(deal.trust, 1)`; each contributor needs a free
    ///     balance ≥ stake = 30 % of taskPrice; `weight = max(score/3, 3) − 1`; `total = 1`; in
    ///     order, `g = group[h]; group[h] = max(g,1)·weight; total += group[h] − g`. With
    ///     `win = keccak256(taskId ‖ resultDigest)`, require `group[win]·trust > total·(trust−1)`.
    ///     A `revealed` contribution must have `resultHash == win` and `resultSeal ==
    ///     keccak256(worker ‖ taskId ‖ resultDigest)`; at least one is revealed.
    ///  5. Rewards: `workersReward = taskPrice·(100 − ratio)/100` is shared by revealed winners
    ///     ∝ floor(log2(weight)) (floor division); their stake is released and, if the task had
    ///     more than one contributor, their score +1. Every other contributor loses its stake
    ///     and its score becomes floor(score·2/3). The pool owner is credited the rest:
    ///     taskPrice − paid shares + seized stakes. All payouts are balance credits.
    ///  6. The task becomes COMPLETED; `TaskFinalized(taskId, dealId, resultDigest, n)`.
    function finalizeBatch(TaskResult[] calldata results) external {
        DealCtx memory ctx;
        address creditPool;
        uint256 creditAmount;
        for (uint256 i; i < results.length; ++i) {
            TaskResult calldata r = results[i];
            if (i == 0 || r.dealId != ctx.dealId) _loadCtx(ctx, r.dealId);
            if (ctx.pool != creditPool) {
                if (creditAmount != 0) _credit(creditPool, creditAmount);
                creditPool = ctx.pool;
                creditAmount = 0;
            }
            creditAmount += _finalizeTask(ctx, r);
        }
        if (creditAmount != 0) _credit(creditPool, creditAmount);
    }

    function _loadCtx(DealCtx memory ctx, bytes32 dealId) private view {
        Deal storage d = _deals[dealId];
        if (d.requester == address(0)) revert UnknownDeal(dealId);
        address pool = d.pool;
        address scheduler = _pools[pool].scheduler;
        if (msg.sender != scheduler) revert NotScheduler(msg.sender, scheduler);
        ctx.dealId = dealId;
        ctx.pool = pool;
        ctx.tee = d.tee;
        ctx.trust = d.trust;
        ctx.botFirst = d.botFirst;
        ctx.botSize = d.botSize;
        ctx.taskPrice = d.taskPrice;
        ctx.schedulerRewardRatioPercent = d.schedulerRewardRatioPercent;
        ctx.finalDeadline = uint256(d.startTime) + FINAL_DEADLINE_RATIO * timeref(d.category);
    }

    /// @return poolShare What the pool owner is credited for this task.
    function _finalizeTask(DealCtx memory ctx, TaskResult calldata r) private returns (uint256 poolShare) {
        uint256 idx = r.idx;
        if (idx < ctx.botFirst || idx - ctx.botFirst >= ctx.botSize) revert InvalidTaskIndex(r.dealId, idx);
        bytes32 tid = taskId(r.dealId, idx);
        if (_tasks[tid] != 0) revert TaskAlreadyFinal(tid);
        if (block.timestamp >= ctx.finalDeadline) revert TaskExpired(tid, ctx.finalDeadline);
        uint256 n = r.contributions.length;
        if (n == 0) revert NoContribution(tid);

        if (ctx.tee && ctx.trust <= 1 && n == 1) {
            poolShare = _fastPath(ctx, tid, r);
        } else {
            poolShare = _consensusPath(ctx, tid, r);
        }

        _tasks[tid] = uint256(STATUS_COMPLETED) | (n << 8) | (block.timestamp << 40);
        emit TaskFinalized(tid, r.dealId, r.resultDigest, n);
    }

    function _fastPath(DealCtx memory ctx, bytes32 tid, TaskResult calldata r) private returns (uint256) {
        Contribution calldata c = r.contributions[0];
        _checkSignatures(ctx, tid, c);
        if (!c.revealed) revert NoReveal(tid);
        if (c.resultHash != _hash2(tid, r.resultDigest) || c.resultSeal != _seal(c.worker, tid, r.resultDigest)) {
            revert BadReveal(tid, c.worker);
        }
        uint256 workersReward = ctx.taskPrice * (100 - ctx.schedulerRewardRatioPercent) / 100;
        _credit(c.worker, workersReward);
        return ctx.taskPrice - workersReward;
    }

    function _consensusPath(DealCtx memory ctx, bytes32 tid, TaskResult calldata r) private returns (uint256) {
        Contribution[] calldata cs = r.contributions;
        uint256 n = cs.length;
        uint256 stake = ctx.taskPrice * WORKER_STAKE_RATIO_PERCENT / 100;
        bytes32 win = _hash2(tid, r.resultDigest);

        // Pass 1: signatures, stakes, weights and the credibility vote.
        uint256[] memory logWeights = new uint256[](n);
        bytes32[] memory hashes = new bytes32[](n);
        uint256[] memory groups = new uint256[](n);
        uint256 distinct;
        uint256 total = 1;
        for (uint256 i; i < n; ++i) {
            Contribution calldata c = cs[i];
            address worker = c.worker;
            for (uint256 j; j < i; ++j) {
                if (cs[j].worker == worker) revert DuplicateWorker(tid, worker);
            }
            _checkSignatures(ctx, tid, c);
            Account storage a = _accounts[worker];
            uint256 balance = a.balance;
            if (balance < stake) revert InsufficientStake(tid, worker, stake, balance);
            uint256 third = uint256(a.score) / 3;
            uint256 weight = (third > 3 ? third : 3) - 1;
            logWeights[i] = _log2(weight);

            bytes32 h = c.resultHash;
            uint256 k;
            while (k < distinct && hashes[k] != h) ++k;
            if (k == distinct) {
                hashes[k] = h;
                ++distinct;
            }
            uint256 g = groups[k];
            uint256 ng = (g == 0 ? 1 : g) * weight;
            groups[k] = ng;
            total += ng - g;
        }
        uint256 groupWin;
        for (uint256 k; k < distinct; ++k) {
            if (hashes[k] == win) {
                groupWin = groups[k];
                break;
            }
        }
        uint256 trust = ctx.trust == 0 ? 1 : ctx.trust;
        if (groupWin * trust <= total * (trust - 1)) revert NoConsensus(tid);

        // Pass 2: reveals.
        uint256 totalLogWeight;
        uint256 seized;
        for (uint256 i; i < n; ++i) {
            Contribution calldata c = cs[i];
            if (c.revealed) {
                if (c.resultHash != win || c.resultSeal != _seal(c.worker, tid, r.resultDigest)) {
                    revert BadReveal(tid, c.worker);
                }
                totalLogWeight += logWeights[i];
            } else {
                seized += stake;
            }
        }
        if (totalLogWeight == 0) revert NoReveal(tid);

        // Pass 3: payouts (one account write per contributor).
        uint256 workersReward = ctx.taskPrice * (100 - ctx.schedulerRewardRatioPercent) / 100;
        uint256 paid;
        for (uint256 i; i < n; ++i) {
            Contribution calldata c = cs[i];
            Account storage a = _accounts[c.worker];
            uint256 balance = a.balance;
            uint256 score = a.score;
            if (c.revealed) {
                uint256 share = workersReward * logWeights[i] / totalLogWeight;
                paid += share;
                balance += share;
                if (n > 1) ++score;
            } else {
                balance -= stake;
                score = score * 2 / 3;
            }
            if (balance > type(uint224).max || score > type(uint32).max) revert AmountTooLarge();
            a.balance = uint224(balance);
            a.score = uint32(score);
        }
        return ctx.taskPrice - paid + seized;
    }

    function _checkSignatures(DealCtx memory ctx, bytes32 tid, Contribution calldata c) private pure {
        address worker = c.worker;
        bytes32 h = _hash3(tid, c.resultHash, c.resultSeal);
        if (worker == address(0) || _recover(h, c.workerSignature) != worker) revert BadWorkerSignature(tid, worker);
        address challenge = c.enclaveChallenge;
        if (challenge != address(0)) {
            if (_recover(_hash2(c.resultHash, c.resultSeal), c.enclaveSignature) != challenge) {
                revert BadEnclaveSignature(tid, worker);
            }
        } else if (ctx.tee) {
            revert BadEnclaveSignature(tid, worker);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Tasks: claims
    // ---------------------------------------------------------------------------------------

    /// @notice Fails tasks past their final deadline and refunds their price to the requester.
    /// Callable by anyone. For each `(dealIds[i], idxs[i])`: the deal exists, the index is in
    /// range, `block.timestamp ≥ finalDeadline`, the task is not final (else the whole call
    /// reverts with `TaskAlreadyFinal`). The task becomes FAILED, the requester's balance is
    /// credited `taskPrice`, no worker is punished, and `TaskFailed(taskId, dealId)` is emitted.
    function claimBatch(bytes32[] calldata dealIds, uint256[] calldata idxs) external {
        if (dealIds.length != idxs.length) revert LengthMismatch();
        for (uint256 i; i < dealIds.length; ++i) {
            bytes32 dealId = dealIds[i];
            uint256 idx = idxs[i];
            Deal storage d = _deals[dealId];
            address requester = d.requester;
            if (requester == address(0)) revert UnknownDeal(dealId);
            uint256 botFirst = d.botFirst;
            if (idx < botFirst || idx - botFirst >= d.botSize) revert InvalidTaskIndex(dealId, idx);
            bytes32 tid = taskId(dealId, idx);
            if (_tasks[tid] != 0) revert TaskAlreadyFinal(tid);
            uint256 finalDeadline = uint256(d.startTime) + FINAL_DEADLINE_RATIO * timeref(d.category);
            if (block.timestamp < finalDeadline) revert TaskNotExpired(tid, finalDeadline);
            _tasks[tid] = uint256(STATUS_FAILED) | (block.timestamp << 40);
            _credit(requester, d.taskPrice);
            emit TaskFailed(tid, dealId);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    function _credit(address account, uint256 amount) private {
        if (amount == 0) return;
        Account storage a = _accounts[account];
        uint256 bal = uint256(a.balance) + amount;
        if (bal > type(uint224).max) revert AmountTooLarge();
        a.balance = uint224(bal);
    }

    /// @dev Returns true for a TEE tag; reverts for an invalid one.
    function _checkTag(bytes32 tag) private pure returns (bool) {
        uint256 bits = uint256(tag) & TEE_BITS;
        if (bits == 0) return false;
        if (bits == 0x3 || bits == 0x5 || bits == 0x9) return true;
        revert InvalidTag(tag);
    }

    function _dealId(address requester, DealParams calldata p, bytes32 paramsHash)
        private
        pure
        returns (bytes32 requestHash, bytes32 dealId)
    {
        requestHash = keccak256(
            abi.encode(
                requester,
                p.pool,
                p.app,
                p.dataset,
                p.category,
                p.trust,
                p.tag,
                p.botFirst,
                p.botSize,
                p.taskPrice,
                paramsHash,
                p.salt
            )
        );
        dealId = _hash2(requestHash, bytes32(0));
    }

    /// @dev keccak256(a ‖ b) in scratch space.
    function _hash2(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @dev keccak256(a ‖ b ‖ c), using free memory without allocating it.
    function _hash3(bytes32 a, bytes32 b, bytes32 c) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, a)
            mstore(add(p, 0x20), b)
            mstore(add(p, 0x40), c)
            h := keccak256(p, 0x60)
        }
    }

    /// @dev keccak256(worker(20 bytes) ‖ taskId ‖ digest).
    function _seal(address worker, bytes32 tid, bytes32 digest) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, shl(96, worker))
            mstore(add(p, 0x14), tid)
            mstore(add(p, 0x34), digest)
            h := keccak256(p, 0x54)
        }
    }

    /// @dev ecrecover of an EIP-191 (personal_sign, 32-byte message) signature r‖s‖v;
    /// zero for a wrong length, v ∉ {27, 28} or s > secp256k1n/2.
    function _recover(bytes32 message, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(sig.offset)
            s := calldataload(add(sig.offset, 0x20))
            v := byte(0, calldataload(add(sig.offset, 0x40)))
        }
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) return address(0);
        bytes32 digest;
        assembly ("memory-safe") {
            mstore(0x00, "\x19Ethereum Signed Message:\n32")
            mstore(0x1c, message)
            digest := keccak256(0x00, 0x3c)
        }
        return ecrecover(digest, v, r, s);
    }

    /// @dev floor(log2(x)) for x ≥ 1.
    function _log2(uint256 x) private pure returns (uint256 r) {
        while (x > 1) {
            x >>= 1;
            ++r;
        }
    }
}
