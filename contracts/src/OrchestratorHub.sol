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
///  * **Escrow as PoCo's.** Deal creation locks `botSize·(appPrice + datasetPrice + taskPrice)`
///    of the requester's balance (`frozenOf`); each finalized task pays the app owner, the
///    dataset owner and the pool from it, each claimed task unlocks its share back to the
///    requester. `createDeal` first credits whatever it is sent, so a caller may deposit and
///    create in one transaction.
///  * **Stakes are atomic.** Contributions happen off chain, so a contributor's stake (the pool's
///    stake ratio of the task price, 30 % by default, per pool) is checked against its free
///    balance, locked, and released (winner) or seized (everyone else) inside the same
///    `finalizeBatch` call: a worker's `frozenOf` is zero between transactions.
///    Tasks of a batch are processed in order, each with the balances left by the previous one.
///  * **Seized stakes as PoCo's.** A seized stake is added to the task's reward before the
///    workers' part is taken (`(taskPrice + seized)·(100 − ratio)/100`, shared by the revealed
///    winners); the pool owner gets the rest.
///  * **Pools are keyed by their owner's address.** The pool owner calls `registerPool` and
///    names the scheduler account that may finalize its deals' tasks; the pool's share of every
///    task is credited to the pool owner's balance. Calling `registerPool` again rotates the
///    scheduler (effective immediately for all deals) and sets the ratio for future deals
///    (a deal keeps the ratio in force at its creation).
///  * **Result pointer in the log.** Each batch names the pool's public results API once
///    (`resultBase`); every `TasksFinalized` log carries it beside the tasks' indices and digests,
///    so a requester finds `<resultBase>/v1/tasks/<taskId>/result` from the chain alone. Nothing
///    of it is stored.
///  * **Callbacks after the run.** As PoCo, a deal may name a callback contract; its tasks' result
///    digest is keccak256(callbackData), and `receiveResult(taskId, callbackData)` is called with
///    at most `CALLBACK_GAS` once the run's tasks are final and paid. A failing callback never
///    reverts the batch: `CallbackCalled` records the outcome.
///  * **Reopened tasks.** The consensus is recomputed over all submitted contributions in order.
///    A task that went through a PoCo "reopen" (winning group removed after no reveal) must be
///    submitted with the contributions that still count.
/// @notice What a deal's callback contract implements (PoCo's `IOracleConsumer.receiveResult`).
interface IResultReceiver {
    /// @notice Called once per finalized task of a deal naming this contract, with at most
    /// `OrchestratorHub.CALLBACK_GAS`; `callbackData` hashes (keccak256) to the task's result digest.
    function receiveResult(bytes32 taskId, bytes calldata callbackData) external;
}

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

    /// @notice A contributor's stake, in percent of the deal's task price, for a pool that never set
    /// its own (`setWorkerStakeRatio`): PoCo's default.
    uint256 public constant WORKER_STAKE_RATIO_PERCENT = 30;
    /// @notice contributionDeadline = startTime + 7·timeref.
    uint256 public constant CONTRIBUTION_DEADLINE_RATIO = 7;
    /// @notice revealDeadline = consensusTime + 2·timeref (off chain only here).
    uint256 public constant REVEAL_DEADLINE_RATIO = 2;
    /// @notice finalDeadline = startTime + 10·timeref.
    uint256 public constant FINAL_DEADLINE_RATIO = 10;
    /// @notice Number of categories: XS, S, M, L, XL (indices 0..4).
    uint8 public constant CATEGORY_COUNT = 5;
    /// @notice Gas given to a deal's callback contract per task (PoCo's `callbackgas`). The batch
    /// refuses to run it with less, so a scheduler cannot starve a callback by sending too little gas.
    uint256 public constant CALLBACK_GAS = 200_000;
    /// @notice Longest callback data of one task, in bytes (the packed batch carries a 2-byte length;
    /// the orchestrator's workers cap it at 4 KiB).
    uint256 public constant MAX_CALLBACK_DATA = 4_096;
    /// @notice Longest result base URL of a batch, in bytes.
    uint256 public constant MAX_RESULT_BASE = 1_024;

    /// @dev secp256k1n / 2: signatures with a larger s are malleable and refused.
    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    /// @dev Low 4 bits of a tag: 0x1 TEE, 0x2 SGX/Scone, 0x4 SGX/Gramine, 0x8 TDX.
    uint256 private constant TEE_BITS = 0xF;
    /// @dev Contribution flags in a packed batch (see `finalizeBatch`).
    uint256 private constant F_REVEALED = 0x1;
    uint256 private constant F_ENCLAVE = 0x2;
    uint256 private constant F_HASHES = 0x4;
    /// @dev High bit of a packed task's contribution count: callback data follows the contributions.
    uint256 private constant T_CALLBACK = 0x80;
    /// @dev Gas the contract itself needs after a callback returns (its event and the loop).
    uint256 private constant CALLBACK_RESERVE = 10_000;

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
        address callback; // contract called with each task's callback data; zero for none
    }

    /// @notice A stored deal, as returned by `deal`.
    struct Deal {
        address requester;
        uint40 startTime;
        uint8 category;
        uint8 schedulerRewardRatioPercent; // snapshot of the pool's ratio at creation
        bool tee; // tag bit 0x1
        bool hasCallback; // callback != 0, kept in the first slot: deals without one never read another at finalization
        uint8 workerStakeRatioPercent; // snapshot of the pool's stake ratio at creation
        bool hasEscrow; // an app or dataset price is paid: only then are `dealEscrowOf`'s slots read
        address pool;
        address app;
        address dataset;
        uint256 trust;
        bytes32 tag;
        uint256 botFirst;
        uint256 botSize;
        uint256 taskPrice;
        bytes32 paramsHash; // keccak256(bytes(params))
        address callback; // zero for none
    }

    /// @dev A pool, keyed by its owner's address.
    /// @dev An app or dataset: who registered it, under which name, and how many versions it has.
    struct Asset {
        address owner;
        uint32 versions;
        string name;
        uint256 price; // the latest version's price per task, in wei (what `createDeal` charges)
    }

    struct Pool {
        address scheduler;
        uint8 schedulerRewardRatioPercent;
        uint8 workerStakeRatioPercent; // set to WORKER_STAKE_RATIO_PERCENT at the first registration
    }

    /// @dev One slot per account: free balance and score. (Stakes never stay frozen, see above.)
    struct Account {
        uint224 balance;
        uint32 score;
    }

    /// @notice What a deal pays beside the pool per task, fixed at its creation (as returned by
    /// `dealEscrowOf`). An owner is zero when its price is zero.
    struct DealEscrow {
        address appOwner;
        bool hasDataset; // datasetPrice != 0, kept in the first slot: other deals never read the next ones
        address datasetOwner;
        uint256 appPrice;
        uint256 datasetPrice;
    }

    /// @dev The fields of a deal that finalization needs, loaded once per run of same-deal tasks.
    struct DealCtx {
        address pool;
        bool tee;
        uint256 trust;
        uint256 botFirst;
        uint256 botSize;
        uint256 taskPrice;
        uint256 ratio; // the pool's scheduler reward ratio, percent
        uint256 workersReward; // taskPrice·(100 − ratio)/100 (a task without seized stakes)
        uint256 stake; // taskPrice·workerStakeRatioPercent/100
        uint256 finalDeadline;
        address callback; // zero for none
        address requester;
        DealEscrow escrow;
    }

    // ---------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------

    mapping(address => Pool) private _pools;
    mapping(address => Account) private _accounts;
    mapping(bytes32 => Deal) private _deals;
    /// @dev Done bits: bit `rel & 255` of word `rel >> 8` is set once task `botFirst + rel` of
    /// the deal is final. A batch of a deal's tasks then writes one word per 256 tasks instead of
    /// one slot per task (a fresh slot costs 22.1k gas, a bit in a word already written ~100).
    mapping(bytes32 => mapping(uint256 => uint256)) private _done;
    /// @dev Same layout: set beside the done bit when the task was claimed (FAILED).
    mapping(bytes32 => mapping(uint256 => uint256)) private _failed;
    /// @dev Registered apps and datasets by address: owner, name and how many versions (every
    /// version's content lives in its event; the orchestrator mirrors the events).
    mapping(address => Asset) private _apps;
    mapping(address => Asset) private _datasets;
    /// @dev Escrow: what each deal pays its app and dataset owners, and its stake ratio (slots left
    /// zero cost nothing: a deal without app, dataset or stake writes none).
    mapping(bytes32 => DealEscrow) private _escrows;
    /// @dev Each requester's locked balance: the unfinished tasks' prices of its deals.
    mapping(address => uint256) private _frozen;

    // ---------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------

    event PoolRegistered(address indexed pool, address indexed scheduler, uint256 schedulerRewardRatioPercent);
    /// @notice A pool's owner set the stake its workers lock per contribution, in percent of the task price.
    event WorkerStakeRatioSet(address indexed pool, uint256 workerStakeRatioPercent);
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
        string params,
        address callback
    );
    /// @notice One log per run of a deal's tasks in a batch (a log per task costs ~1k gas more
    /// each): `results` packs, per task in batch order, `uint64 idx ‖ bytes32 resultDigest` (40 bytes).
    /// `resultBase` is the pool's public results API named by the batch (empty for none): task
    /// `taskId(dealId, idx)`'s result is at `<resultBase>/v1/tasks/<taskId as 0x-hex>/result`.
    event TasksFinalized(bytes32 indexed dealId, string resultBase, bytes results);
    /// @notice A deal's callback was called for a task; `success` is false when it reverted or ran out of gas.
    event CallbackCalled(bytes32 indexed taskId, address indexed callback, bool success);
    event TaskFailed(bytes32 indexed taskId, bytes32 indexed dealId);
    /// @notice A version of an app, registered by its owner. `image` is `registry/name@sha256:<hex>`;
    /// `policy` is the measurement policy's canonical text (the orchestrator's README, "App registry").
    event AppRegistered(address indexed app, address indexed owner, uint32 version, string name, string image, string policy, uint256 price);
    /// @notice A version of a dataset, registered by its owner, with who may use it (empty list = anyone).
    event DatasetRegistered(
        address indexed dataset,
        address indexed owner,
        uint32 version,
        string name,
        bytes32 checksum,
        string uri,
        uint256 price,
        address[] apps,
        address[] appOwners,
        address[] requesters,
        address[] pools
    );

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
    error InvalidStakeRatio(uint256 ratio);
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
    error MalformedBatch(uint256 offset);
    error BotOutOfRange(uint256 botFirst, uint256 botSize);
    error MissingCallbackData(bytes32 taskId);
    error UnexpectedCallbackData(bytes32 taskId);
    error BadCallbackData(bytes32 taskId, bytes32 resultDigest, bytes32 callbackDigest);
    error CallbackDataTooLong(bytes32 taskId, uint256 length);
    error ResultBaseTooLong(uint256 length);
    error CallbackGasTooLow(bytes32 taskId, uint256 available);
    error NotAssetOwner(address asset, address caller, address owner);
    error UnknownAsset(address asset);
    error InvalidName();

    // ---------------------------------------------------------------------------------------
    // Apps and datasets (registered by their owners; the orchestrator mirrors the events)
    // ---------------------------------------------------------------------------------------

    /// @notice The address of `owner`'s app named `name`: the last 20 bytes of
    /// keccak256("orchestrator.app" ‖ owner ‖ keccak256(name)), as the orchestrator's API derives it.
    function appAddress(address owner, string calldata name) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked("orchestrator.app", owner, keccak256(bytes(name)))))));
    }

    /// @notice The address of `owner`'s dataset named `name` ("orchestrator.dataset" instead of "orchestrator.app").
    function datasetAddress(address owner, string calldata name) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked("orchestrator.dataset", owner, keccak256(bytes(name)))))));
    }

    /// @notice Registers the caller's app `name`, or adds a version when the caller registered it before.
    /// @return app The app's address (`appAddress(msg.sender, name)`).
    function registerApp(string calldata name, string calldata image, string calldata policy, uint256 price) external returns (address app) {
        if (bytes(name).length == 0 || bytes(name).length > 64) revert InvalidName();
        app = appAddress(msg.sender, name);
        Asset storage a = _apps[app];
        if (a.owner == address(0)) {
            a.owner = msg.sender;
            a.name = name;
        }
        a.price = price;
        emit AppRegistered(app, msg.sender, ++a.versions, name, image, policy, price);
    }

    /// @notice Adds a version to an app; only its owner may.
    function updateApp(address app, string calldata image, string calldata policy, uint256 price) external {
        Asset storage a = _apps[app];
        if (a.owner == address(0)) revert UnknownAsset(app);
        if (a.owner != msg.sender) revert NotAssetOwner(app, msg.sender, a.owner);
        a.price = price;
        emit AppRegistered(app, msg.sender, ++a.versions, a.name, image, policy, price);
    }

    /// @notice An app's owner and number of versions (zero owner: not registered).
    function appOf(address app) external view returns (address owner, uint32 versions, string memory name) {
        Asset storage a = _apps[app];
        return (a.owner, a.versions, a.name);
    }

    /// @notice Registers the caller's dataset `name`, or adds a version when the caller registered it before.
    /// @return dataset The dataset's address (`datasetAddress(msg.sender, name)`).
    function registerDataset(
        string calldata name,
        bytes32 checksum,
        string calldata uri,
        uint256 price,
        address[] calldata apps,
        address[] calldata appOwners,
        address[] calldata requesters,
        address[] calldata pools
    ) external returns (address dataset) {
        if (bytes(name).length == 0 || bytes(name).length > 64) revert InvalidName();
        dataset = datasetAddress(msg.sender, name);
        Asset storage d = _datasets[dataset];
        if (d.owner == address(0)) {
            d.owner = msg.sender;
            d.name = name;
        }
        d.price = price;
        emit DatasetRegistered(dataset, msg.sender, ++d.versions, name, checksum, uri, price, apps, appOwners, requesters, pools);
    }

    /// @notice The price per task `createDeal` charges for an app and a dataset (their latest
    /// versions'; zero for an unregistered one or the zero address).
    function assetPricesOf(address app, address dataset) external view returns (uint256 appPrice, uint256 datasetPrice) {
        return (_apps[app].price, _datasets[dataset].price);
    }

    /// @notice A dataset's owner and number of versions (zero owner: not registered).
    function datasetOf(address dataset) external view returns (address owner, uint32 versions, string memory name) {
        Asset storage d = _datasets[dataset];
        return (d.owner, d.versions, d.name);
    }

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
        Pool storage pool = _pools[msg.sender];
        // A first registration takes PoCo's default stake ratio; a later one keeps the pool's own.
        if (pool.scheduler == address(0)) pool.workerStakeRatioPercent = uint8(WORKER_STAKE_RATIO_PERCENT);
        pool.scheduler = scheduler;
        pool.schedulerRewardRatioPercent = uint8(schedulerRewardRatioPercent);
        emit PoolRegistered(msg.sender, scheduler, schedulerRewardRatioPercent);
        return msg.sender;
    }

    // ---------------------------------------------------------------------------------------
    // Worker stakes (per pool)
    // ---------------------------------------------------------------------------------------

    /// @notice Sets the stake the caller's pool asks of each contributor, in percent of the task
    /// price (0 for none, at most 100); it applies to deals created after this call (a deal keeps
    /// the ratio in force at its creation, as PoCo's `workerStake`).
    function setWorkerStakeRatio(uint256 workerStakeRatioPercent) external {
        Pool storage pool = _pools[msg.sender];
        if (pool.scheduler == address(0)) revert UnknownPool(msg.sender);
        if (workerStakeRatioPercent > 100) revert InvalidStakeRatio(workerStakeRatioPercent);
        pool.workerStakeRatioPercent = uint8(workerStakeRatioPercent);
        emit WorkerStakeRatioSet(msg.sender, workerStakeRatioPercent);
    }

    /// @notice The stake ratio (percent of the task price) the pool's future deals ask of each contributor.
    function workerStakeRatioOf(address pool) external view returns (uint256) {
        return _pools[pool].workerStakeRatioPercent;
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

    /// @notice Locked balance: the escrow of the requester's unfinished tasks (app + dataset +
    /// pool price each). Workers' stakes are locked and released or seized within
    /// `finalizeBatch`, so they never stay here between transactions.
    function frozenOf(address account) external view returns (uint256) {
        return _frozen[account];
    }

    /// @notice A worker's score: +1 per accurate contribution to a replicated task,
    /// ×2/3 (floor) per rejected or unrevealed contribution.
    function scoreOf(address account) external view returns (uint256) {
        return _accounts[account].score;
    }

    // ---------------------------------------------------------------------------------------
    // Deals
    // ---------------------------------------------------------------------------------------

    /// @notice Creates a deal for `p.botSize` tasks and locks its escrow.
    /// @dev Rules: the pool is registered; `category < 5`; `botSize > 0`; the tag's low 4 bits
    /// are 0x0, 0x3, 0x5 or 0x9 and a TEE tag (bit 0x1) allows only `trust` 0 or 1; the deal id
    /// is new; after `msg.value` is credited to the caller, its free balance covers
    /// `botSize·(appPrice + datasetPrice + taskPrice)` (else `InsufficientBalance(required,
    /// available)`), where the app's and dataset's prices are their registered ones
    /// (`assetPricesOf`, zero when unregistered); that sum moves to `frozenOf(caller)`.
    /// `requestHash = keccak256(abi.encode(requester, pool, app, dataset, category, trust, tag,
    /// botFirst, botSize, taskPrice, keccak256(bytes(params)), salt))` — with `callback` as a 13th
    /// word only when it is set, so deals without a callback keep their ids — and
    /// `dealId = keccak256(abi.encodePacked(requestHash, uint256(0)))`. `startTime` is the
    /// block's timestamp; every task's final deadline is `startTime + 10·timeref(category)`.
    function createDeal(DealParams calldata p) external payable returns (bytes32 dealId) {
        // `msg.value` is deposited; `_lockEscrow` credits it with the lock in one balance write.
        if (msg.value != 0) emit Deposited(msg.sender, msg.value);
        bytes32 paramsHash = keccak256(bytes(p.params));
        (, dealId) = _dealId(msg.sender, p, paramsHash);
        DealParams memory m = p;
        uint256 datasetPrice = p.dataset == address(0) ? 0 : _datasets[p.dataset].price;
        _createDeal(dealId, msg.sender, m, paramsHash, _apps[p.app].price, datasetPrice, msg.value);
    }

    // ---------------------------------------------------------------------------------------
    // Deals: the one internal creation path (createDeal, and order matching) and its escrow lock
    // ---------------------------------------------------------------------------------------

    /// @dev Checks the deal's terms, stores it, locks `botSize·(appPrice + datasetPrice +
    /// taskPrice)` of the requester's free balance and emits DealCreated. Every way of creating a
    /// deal goes through here, so every deal is escrowed the same way. An app or dataset nobody
    /// registered has no owner to pay: its price must then be zero. `deposited` is what the
    /// requester sent with this call (already announced by `Deposited`; 0 for a path that takes none).
    function _createDeal(
        bytes32 dealId,
        address requester,
        DealParams memory p,
        bytes32 paramsHash,
        uint256 appPrice,
        uint256 datasetPrice,
        uint256 deposited
    ) internal {
        Pool storage pool = _pools[p.pool];
        if (pool.scheduler == address(0)) revert UnknownPool(p.pool);
        if (p.category >= CATEGORY_COUNT) revert InvalidCategory(p.category);
        if (p.botSize == 0) revert EmptyDeal();
        // A packed batch names a task by an 8-byte index.
        if (p.botFirst > type(uint64).max || p.botSize > type(uint64).max - p.botFirst + 1) {
            revert BotOutOfRange(p.botFirst, p.botSize);
        }
        bool tee = _checkTag(p.tag);
        if (tee && p.trust > 1) revert InvalidTrust(p.trust);
        Deal storage d = _deals[dealId];
        if (d.requester != address(0)) revert DealExists(dealId);

        d.hasEscrow = _lockEscrow(dealId, requester, p, appPrice, datasetPrice, deposited);
        d.workerStakeRatioPercent = pool.workerStakeRatioPercent;
        d.requester = requester;
        d.startTime = uint40(block.timestamp);
        d.category = p.category;
        d.schedulerRewardRatioPercent = _pools[p.pool].schedulerRewardRatioPercent;
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
        if (p.callback != address(0)) {
            d.hasCallback = true;
            d.callback = p.callback;
        }
        _emitDealCreated(dealId, requester, p);
    }

    /// @dev Credits `deposited`, moves the deal's whole price from the requester's free balance to
    /// its frozen one (the balance slot is written only when it changes) and records who is paid
    /// what at finalization; returns whether an app or dataset price is paid.
    function _lockEscrow(
        bytes32 dealId,
        address requester,
        DealParams memory p,
        uint256 appPrice,
        uint256 datasetPrice,
        uint256 deposited
    ) private returns (bool hasEscrow) {
        // Owners are read only for a price to pay (cold reads cost 2.1k each).
        address appOwner = appPrice == 0 ? address(0) : _apps[p.app].owner;
        address datasetOwner = datasetPrice == 0 ? address(0) : _datasets[p.dataset].owner;
        if (appPrice != 0 && appOwner == address(0)) revert UnknownAsset(p.app);
        if (datasetPrice != 0 && datasetOwner == address(0)) revert UnknownAsset(p.dataset);
        // Prices are bounded so that no product below overflows: balances are uint224.
        if (appPrice > type(uint224).max || datasetPrice > type(uint224).max || p.taskPrice > type(uint224).max) {
            revert AmountTooLarge();
        }
        uint256 perTask = appPrice + datasetPrice + p.taskPrice;
        if (perTask != 0 && p.botSize > type(uint224).max / perTask) revert AmountTooLarge();
        uint256 required = p.botSize * perTask;
        Account storage a = _accounts[requester];
        uint256 balance = a.balance;
        uint256 available = balance + deposited;
        if (required > available) revert InsufficientBalance(required, available);
        if (available - required != balance) {
            if (available - required > type(uint224).max) revert AmountTooLarge();
            a.balance = uint224(available - required);
        }
        _frozen[requester] += required;

        if (appPrice == 0 && datasetPrice == 0) return false;
        DealEscrow storage e = _escrows[dealId];
        e.appOwner = appPrice != 0 ? appOwner : address(0);
        e.hasDataset = datasetPrice != 0;
        if (appPrice != 0) e.appPrice = appPrice;
        if (datasetPrice != 0) {
            e.datasetOwner = datasetOwner;
            e.datasetPrice = datasetPrice;
        }
        return true;
    }

    /// @notice What a deal pays its app and dataset owners per task (all zero for an unknown deal,
    /// or one that pays neither). Its workers' stake ratio is in `deal(dealId)`.
    function dealEscrowOf(bytes32 dealId) external view returns (DealEscrow memory) {
        return _escrows[dealId];
    }

    function _emitDealCreated(bytes32 dealId, address requester, DealParams memory p) private {
        emit DealCreated(
            dealId,
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
            block.timestamp,
            p.params,
            p.callback
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

    /// @notice A task's status: 0 UNSET if the deal or index does not exist, 1 ACTIVE if the task
    /// exists and is not final (ACTIVE/REVEALING live off chain), else 3 COMPLETED or 4 FAILED.
    function taskStatusOf(bytes32 dealId, uint256 idx) public view returns (uint8) {
        Deal storage d = _deals[dealId];
        uint256 botFirst = d.botFirst;
        if (d.requester == address(0) || idx < botFirst || idx - botFirst >= d.botSize) return STATUS_UNSET;
        uint256 rel = idx - botFirst;
        uint256 mask = 1 << (rel & 255);
        if (_done[dealId][rel >> 8] & mask == 0) return STATUS_ACTIVE;
        return _failed[dealId][rel >> 8] & mask == 0 ? STATUS_COMPLETED : STATUS_FAILED;
    }

    /// @notice `taskStatusOf` for many tasks in one call: the bridge reads a whole batch with it.
    function taskStatusesOf(bytes32[] calldata dealIds, uint256[] calldata idxs)
        external
        view
        returns (uint8[] memory statuses)
    {
        if (dealIds.length != idxs.length) revert LengthMismatch();
        statuses = new uint8[](dealIds.length);
        for (uint256 i; i < dealIds.length; ++i) {
            statuses[i] = taskStatusOf(dealIds[i], idxs[i]);
        }
    }

    /// @notice True once a task is COMPLETED or FAILED; a final task never changes again.
    function isFinal(bytes32 dealId, uint256 idx) external view returns (bool) {
        return taskStatusOf(dealId, idx) >= STATUS_COMPLETED;
    }

    // ---------------------------------------------------------------------------------------
    // Tasks: batched finalization
    // ---------------------------------------------------------------------------------------

    /// @notice Finalizes many tasks in one transaction. Caller: the scheduler of every task's
    /// pool. Any failing task reverts the whole batch (so nothing is ever paid twice).
    /// @dev `batch` is packed (big-endian, no padding) rather than ABI-encoded: ABI words cost
    /// about three times the calldata gas of the bytes they carry.
    /// ```
    /// batch        := baseLength(2) resultBase(baseLength) run+
    /// run          := dealId(32) count(2) task{count}
    /// task         := idx(8) resultDigest(32) n(1) contribution{n & 0x7f}
    ///                 [callbackLength(2) callbackData(callbackLength)]   when n & 0x80
    /// contribution := flags(1) worker(20) workerSignature(65)
    ///                 [resultHash(32) resultSeal(32)]              when flags & 0x4
    ///                 [enclaveChallenge(20) enclaveSignature(65)]  when flags & 0x2
    /// flags: 0x1 revealed, 0x2 enclave-signed, 0x4 hash and seal given
    /// ```
    /// `resultBase` (UTF-8, at most `MAX_RESULT_BASE` bytes, may be empty) is the pool's public
    /// results API; it is emitted in every run's `TasksFinalized` and never stored.
    /// A contribution without hash and seal must be revealed: the contract computes them,
    /// `resultHash = keccak256(taskId ‖ resultDigest)` and `resultSeal = keccak256(worker ‖
    /// taskId ‖ resultDigest)`, and checks the worker's signature over those, so it proves what
    /// the explicit values would (a revealed contribution must match them anyway). A truncated or
    /// inconsistent batch reverts with `MalformedBatch(byte offset)`.
    /// For each task, in order:
    ///  1. `botFirst ≤ idx < botFirst+botSize`; the task is not final (else `TaskAlreadyFinal(taskId)`);
    ///     `block.timestamp < finalDeadline`; ≥ 1 contribution.
    ///  2. Every contribution: distinct worker; `workerSignature` is the worker's EIP-191
    ///     (personal_sign) signature of `keccak256(taskId ‖ resultHash ‖ resultSeal)` (65 bytes,
    ///     v ∈ {27,28}, low s). If the deal is TEE, the contribution is enclave-signed; whenever
    ///     it is, `enclaveChallenge` is non-zero and `enclaveSignature` is its EIP-191 signature
    ///     of `keccak256(resultHash ‖ resultSeal)` (the scheduler authorizes the challenge by
    ///     submitting it).
    ///  3. TEE fast path (TEE tag, trust ≤ 1, exactly one contribution): the contribution must
    ///     be revealed with a matching hash and seal; the worker gets the workers' reward, no
    ///     stake, no score change; the pool gets the rest.
    ///  4. Otherwise PoCo consensus: `trust = max(deal.trust, 1)`; each contributor needs a free
    ///     balance ≥ stake = 30 % of taskPrice; `weight = max(score/3, 3) − 1`; `total = 1`; in
    ///     order, `g = group[h]; group[h] = max(g,1)·weight; total += group[h] − g`. With
    ///     `win = keccak256(taskId ‖ resultDigest)`, require `group[win]·trust > total·(trust−1)`.
    ///     A revealed contribution must have `resultHash == win` and `resultSeal ==
    ///     keccak256(worker ‖ taskId ‖ resultDigest)`; at least one is revealed. (One contributor
    ///     at trust ≤ 1 takes a shorter road to the same outcome: consensus holds whenever its
    ///     hash wins, its share is the whole reward and its score does not move.)
    ///  5. Rewards: `workersReward = taskPrice·(100 − ratio)/100` is shared by revealed winners
    ///     ∝ floor(log2(weight)) (floor division); their stake is released and, if the task had
    ///     more than one contributor, their score +1. Every other contributor loses its stake
    ///     and its score becomes floor(score·2/3). The pool owner is credited the rest:
    ///     taskPrice − paid shares + seized stakes. All payouts are balance credits.
    ///  6. The task's done bit is set (COMPLETED); each run ends with one `TasksFinalized(dealId,
    ///     resultBase, indices and digests)`.
    ///  7. Callback deals: every task carries callback data (else `MissingCallbackData`), at most
    ///     `MAX_CALLBACK_DATA` bytes, with `keccak256(callbackData) == resultDigest` (else
    ///     `BadCallbackData`); other deals' tasks carry none (`UnexpectedCallbackData`). After the
    ///     run's done bits, payouts and log, `callback.receiveResult(taskId, callbackData)` is called
    ///     per task with `CALLBACK_GAS` (the batch reverts with `CallbackGasTooLow` if that much is not
    ///     left); its failure, revert or out-of-gas never reverts the batch and is reported by
    ///     `CallbackCalled(taskId, callback, success)`. Its return data is never copied.
    function finalizeBatch(bytes calldata batch) external {
        uint256 p;
        uint256 end;
        assembly ("memory-safe") {
            p := batch.offset
            end := add(p, batch.length)
        }
        uint256 base = p;
        _need(p, 2, end, base);
        uint256 baseLength;
        assembly ("memory-safe") {
            baseLength := shr(240, calldataload(p))
        }
        if (baseLength > MAX_RESULT_BASE) revert ResultBaseTooLong(baseLength);
        _need(p + 2, baseLength, end, base);
        string memory resultBase = string(batch[2:2 + baseLength]);
        unchecked {
            p += 2 + baseLength;
        }
        if (p == end) revert MalformedBatch(p - base);
        while (p < end) {
            p = _finalizeRun(p, end, base, resultBase);
        }
    }

    /// @dev One run of tasks of the same deal; returns the offset after it.
    function _finalizeRun(uint256 p, uint256 end, uint256 base, string memory resultBase) private returns (uint256) {
        _need(p, 34, end, base);
        bytes32 dealId;
        uint256 count;
        assembly ("memory-safe") {
            dealId := calldataload(p)
            count := shr(240, calldataload(add(p, 32)))
        }
        unchecked {
            p += 34; // bounds checked just above
        }
        DealCtx memory ctx = _loadCtx(dealId);
        mapping(uint256 => uint256) storage done = _done[dealId];
        bytes memory logged = new bytes(count * 40);
        uint256 out;
        assembly ("memory-safe") {
            out := add(logged, 0x20)
        }
        // Callbacks run after the whole run is final and paid: (taskId, calldata offset, length) each.
        uint256[] memory callbacks = new uint256[](ctx.callback == address(0) ? 0 : count * 3);
        uint256 callbackCount;
        // The done bits of 256 tasks share a word: it is read once and written once per run.
        uint256 word = type(uint256).max;
        uint256 bits;
        uint256 poolShare;
        for (uint256 k; k < count; ++k) {
            _need(p, 41, end, base);
            uint256 idx;
            bytes32 digest;
            uint256 n;
            assembly ("memory-safe") {
                idx := shr(192, calldataload(p))
                digest := calldataload(add(p, 8))
                n := shr(248, calldataload(add(p, 40)))
            }
            unchecked {
                p += 41;
            }
            bool withCallback = n & T_CALLBACK != 0;
            n &= T_CALLBACK - 1;
            if (idx < ctx.botFirst || idx - ctx.botFirst >= ctx.botSize) revert InvalidTaskIndex(dealId, idx);
            bytes32 tid = taskId(dealId, idx);
            uint256 rel = idx - ctx.botFirst;
            if (rel >> 8 != word) {
                if (word != type(uint256).max) done[word] = bits;
                word = rel >> 8;
                bits = done[word];
            }
            uint256 mask = 1 << (rel & 255);
            if (bits & mask != 0) revert TaskAlreadyFinal(tid);
            bits |= mask;
            if (block.timestamp >= ctx.finalDeadline) revert TaskExpired(tid, ctx.finalDeadline);
            if (n == 0) revert NoContribution(tid);

            // Each task's scratch arrays are dropped after it: memory stays small over a batch.
            uint256 freeMemory;
            assembly ("memory-safe") {
                freeMemory := mload(0x40)
            }
            uint256 share;
            if (n == 1 && ctx.trust <= 1) {
                (share, p) = _singleContributor(ctx, tid, digest, p, end, base);
            } else {
                (share, p) = _consensusPath(ctx, tid, digest, n, p, end, base);
            }
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
            poolShare += share;
            if (withCallback) {
                if (ctx.callback == address(0)) revert UnexpectedCallbackData(tid);
                uint256 length;
                (p, length) = _checkCallbackData(tid, digest, p, end, base);
                callbacks[callbackCount++] = uint256(tid);
                callbacks[callbackCount++] = p - length;
                callbacks[callbackCount++] = length;
            } else if (ctx.callback != address(0)) {
                revert MissingCallbackData(tid);
            }
            // idx (8 bytes) then digest (32): the digest's store overwrites the index's zero tail.
            assembly ("memory-safe") {
                mstore(out, shl(192, idx))
                mstore(add(out, 8), digest)
                out := add(out, 40)
            }
        }
        if (word != type(uint256).max) done[word] = bits;
        emit TasksFinalized(dealId, resultBase, logged);
        _payRun(ctx, count, poolShare);
        for (uint256 i; i < callbackCount; i += 3) {
            _callback(ctx.callback, bytes32(callbacks[i]), callbacks[i + 1], callbacks[i + 2]);
        }
        return p;
    }

    /// @dev Reads the callback data at `p` (2-byte length, then the bytes) and checks its length and
    /// that it hashes to the task's digest; returns the offset after it and its length.
    function _checkCallbackData(bytes32 tid, bytes32 digest, uint256 p, uint256 end, uint256 base)
        private
        pure
        returns (uint256 next, uint256 length)
    {
        _need(p, 2, end, base);
        assembly ("memory-safe") {
            length := shr(240, calldataload(p))
        }
        if (length > MAX_CALLBACK_DATA) revert CallbackDataTooLong(tid, length);
        unchecked {
            p += 2;
        }
        _need(p, length, end, base);
        bytes32 h;
        // Hashed in free memory without allocating it.
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, p, length)
            h := keccak256(m, length)
        }
        if (h != digest) revert BadCallbackData(tid, digest, h);
        unchecked {
            next = p + length;
        }
    }

    /// @dev Calls `target.receiveResult(tid, data)` with exactly `CALLBACK_GAS`, without copying its
    /// return data (a huge one could not make the batch run out of gas), and reports the outcome.
    function _callback(address target, bytes32 tid, uint256 at, uint256 length) private {
        // EIP-150 passes at most 63/64 of the gas left: demand enough that the callee really gets
        // CALLBACK_GAS, so an underfunded transaction reverts instead of starving the callback.
        uint256 available = gasleft();
        if (available < CALLBACK_GAS + CALLBACK_GAS / 63 + CALLBACK_RESERVE) revert CallbackGasTooLow(tid, available);
        bytes4 selector = IResultReceiver.receiveResult.selector;
        bool success;
        assembly ("memory-safe") {
            // receiveResult(bytes32 taskId, bytes callbackData) ABI-encoded in free memory.
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), tid)
            mstore(add(m, 0x24), 0x40)
            mstore(add(m, 0x44), length)
            calldatacopy(add(m, 0x64), at, length)
            // zero the padding after the data
            mstore(add(add(m, 0x64), length), 0)
            let size := add(0x64, and(add(length, 31), not(31)))
            success := call(CALLBACK_GAS, target, 0, m, size, 0, 0)
        }
        emit CallbackCalled(tid, target, success);
    }

    /// @dev Pays a run of `count` finalized tasks of one deal out of its requester's escrow: the
    /// app and dataset owners their prices, the pool owner its share (`poolShare`, with seized
    /// stakes). One write per payee per run.
    function _payRun(DealCtx memory ctx, uint256 count, uint256 poolShare) private {
        DealEscrow memory e = ctx.escrow;
        _frozen[ctx.requester] -= count * (e.appPrice + e.datasetPrice + ctx.taskPrice);
        if (e.appPrice != 0) _credit(e.appOwner, count * e.appPrice);
        if (e.datasetPrice != 0) _credit(e.datasetOwner, count * e.datasetPrice);
        _credit(ctx.pool, poolShare);
    }

    function _loadCtx(bytes32 dealId) private view returns (DealCtx memory ctx) {
        Deal storage d = _deals[dealId];
        address requester = d.requester;
        if (requester == address(0)) revert UnknownDeal(dealId);
        address pool = d.pool;
        address scheduler = _pools[pool].scheduler;
        if (msg.sender != scheduler) revert NotScheduler(msg.sender, scheduler);
        uint256 price = d.taskPrice;
        ctx.pool = pool;
        ctx.requester = requester;
        ctx.tee = d.tee;
        ctx.trust = d.trust;
        ctx.botFirst = d.botFirst;
        ctx.botSize = d.botSize;
        ctx.taskPrice = price;
        ctx.ratio = d.schedulerRewardRatioPercent;
        ctx.workersReward = price * (100 - ctx.ratio) / 100;
        if (d.hasEscrow) ctx.escrow = _loadEscrow(dealId);
        ctx.stake = price * d.workerStakeRatioPercent / 100;
        ctx.finalDeadline = uint256(d.startTime) + FINAL_DEADLINE_RATIO * timeref(d.category);
        // The flag shares the first slot: only callback deals read the callback's own slot.
        if (d.hasCallback) ctx.callback = d.callback;
    }

    /// @dev A deal's escrow terms, reading only the slots its first one says are set.
    function _loadEscrow(bytes32 dealId) private view returns (DealEscrow memory e) {
        DealEscrow storage s = _escrows[dealId];
        e.appOwner = s.appOwner;
        e.hasDataset = s.hasDataset;
        if (e.appOwner != address(0)) e.appPrice = s.appPrice;
        if (e.hasDataset) {
            e.datasetOwner = s.datasetOwner;
            e.datasetPrice = s.datasetPrice;
        }
    }

    /// @dev One contributor at trust ≤ 1: the TEE fast path, or the consensus rule's simplest
    /// case (its group is its weight ≥ 2 against a total of 1 + weight, so it wins exactly when
    /// its hash is the winning one; log2(weight) ≥ 1 makes its share the whole reward).
    function _singleContributor(DealCtx memory ctx, bytes32 tid, bytes32 digest, uint256 p, uint256 end, uint256 base)
        private
        returns (uint256 poolShare, uint256 next)
    {
        (address worker, uint256 flags, bytes32 h, bytes32 s, uint256 q) = _readContribution(ctx, tid, digest, p, end, base);
        bool hashesGiven = flags & F_HASHES != 0;
        if (flags & F_REVEALED == 0) {
            // Unrevealed: no consensus unless its hash is the winning one, and then no reveal.
            if (!ctx.tee && h != _hash2(tid, digest)) revert NoConsensus(tid);
            revert NoReveal(tid);
        }
        if (hashesGiven && (h != _hash2(tid, digest) || s != _seal(worker, tid, digest))) revert BadReveal(tid, worker);
        Account storage a = _accounts[worker];
        uint256 balance = a.balance;
        if (!ctx.tee && balance < ctx.stake) revert InsufficientStake(tid, worker, ctx.stake, balance);
        balance += ctx.workersReward;
        if (balance > type(uint224).max) revert AmountTooLarge();
        a.balance = uint224(balance);
        return (ctx.taskPrice - ctx.workersReward, q);
    }

    function _consensusPath(
        DealCtx memory ctx,
        bytes32 tid,
        bytes32 digest,
        uint256 n,
        uint256 p,
        uint256 end,
        uint256 base
    ) private returns (uint256 poolShare, uint256 next) {
        bytes32 win = _hash2(tid, digest);
        address[] memory workers = new address[](n);
        bool[] memory revealed = new bool[](n);
        uint256[] memory logWeights = new uint256[](n);
        bytes32[] memory hashes = new bytes32[](n);
        uint256[] memory groups = new uint256[](n);
        uint256 distinct;
        uint256 total = 1;
        uint256 totalLogWeight;
        uint256 revealedCount;

        // Pass 1: signatures, reveals, stakes, weights and the credibility vote.
        for (uint256 i; i < n; ++i) {
            (address worker, uint256 flags, bytes32 h, bytes32 s, uint256 q) = _readContribution(ctx, tid, digest, p, end, base);
            p = q;
            for (uint256 j; j < i; ++j) {
                if (workers[j] == worker) revert DuplicateWorker(tid, worker);
            }
            workers[i] = worker;
            uint256 balance = _accounts[worker].balance;
            if (balance < ctx.stake) revert InsufficientStake(tid, worker, ctx.stake, balance);
            uint256 third = uint256(_accounts[worker].score) / 3;
            uint256 weight = (third > 3 ? third : 3) - 1;
            logWeights[i] = _log2(weight);
            if (flags & F_REVEALED != 0) {
                if (h != win || s != _seal(worker, tid, digest)) revert BadReveal(tid, worker);
                revealed[i] = true;
                ++revealedCount;
                totalLogWeight += logWeights[i];
            }

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
        if (totalLogWeight == 0) revert NoReveal(tid);

        // PoCo: every seized stake joins the task's reward before the workers' part is taken.
        uint256 totalReward = ctx.taskPrice;
        uint256 workersReward = ctx.workersReward;
        if (revealedCount != n) {
            totalReward += (n - revealedCount) * ctx.stake;
            workersReward = totalReward * (100 - ctx.ratio) / 100;
        }

        // Pass 2: payouts (one account write per contributor).
        uint256 paid;
        for (uint256 i; i < n; ++i) {
            Account storage a = _accounts[workers[i]];
            uint256 balance = a.balance;
            uint256 score = a.score;
            if (revealed[i]) {
                uint256 share = workersReward * logWeights[i] / totalLogWeight;
                paid += share;
                balance += share;
                if (n > 1) ++score;
            } else {
                balance -= ctx.stake;
                score = score * 2 / 3;
            }
            if (balance > type(uint224).max || score > type(uint32).max) revert AmountTooLarge();
            a.balance = uint224(balance);
            a.score = uint32(score);
        }
        return (totalReward - paid, p);
    }

    /// @dev Reads the contribution at `p` and checks its signatures (see `finalizeBatch`).
    function _readContribution(DealCtx memory ctx, bytes32 tid, bytes32 digest, uint256 p, uint256 end, uint256 base)
        private
        view
        returns (address worker, uint256 flags, bytes32 h, bytes32 s, uint256 next)
    {
        _need(p, 86, end, base);
        assembly ("memory-safe") {
            flags := shr(248, calldataload(p))
            worker := shr(96, calldataload(add(p, 1)))
        }
        uint256 workerSig;
        unchecked {
            workerSig = p + 21;
            next = p + 86;
        }
        if (flags & F_HASHES != 0) {
            _need(next, 64, end, base);
            assembly ("memory-safe") {
                h := calldataload(next)
                s := calldataload(add(next, 32))
            }
            unchecked {
                next += 64;
            }
        } else {
            if (flags & F_REVEALED == 0) revert MalformedBatch(p - base);
            h = _hash2(tid, digest);
            s = _seal(worker, tid, digest);
        }
        if (worker == address(0) || _recoverAt(_hash3(tid, h, s), workerSig) != worker) revert BadWorkerSignature(tid, worker);
        if (flags & F_ENCLAVE != 0) {
            _need(next, 85, end, base);
            address challenge;
            assembly ("memory-safe") {
                challenge := shr(96, calldataload(next))
            }
            unchecked {
                if (challenge == address(0) || _recoverAt(_hash2(h, s), next + 20) != challenge) {
                    revert BadEnclaveSignature(tid, worker);
                }
                next += 85;
            }
        } else if (ctx.tee) {
            revert BadEnclaveSignature(tid, worker);
        }
    }

    /// @dev Reverts with MalformedBatch unless `len` bytes remain at `p`.
    function _need(uint256 p, uint256 len, uint256 end, uint256 base) private pure {
        // Offsets are calldata positions: far from overflowing.
        unchecked {
            if (p + len > end) revert MalformedBatch(p - base);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Tasks: claims
    // ---------------------------------------------------------------------------------------

    /// @notice Fails tasks past their final deadline and refunds their price to the requester.
    /// Callable by anyone. For each `(dealIds[i], idxs[i])`: the deal exists, the index is in
    /// range, `block.timestamp ≥ finalDeadline`, the task is not final (else the whole call
    /// reverts with `TaskAlreadyFinal`). The task becomes FAILED, its escrow (app + dataset +
    /// pool price) moves from the requester's frozen balance back to its free one, no worker is
    /// punished, and `TaskFailed(taskId, dealId)` is emitted.
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
            uint256 rel = idx - botFirst;
            uint256 mask = 1 << (rel & 255);
            uint256 bits = _done[dealId][rel >> 8];
            if (bits & mask != 0) revert TaskAlreadyFinal(tid);
            uint256 finalDeadline = uint256(d.startTime) + FINAL_DEADLINE_RATIO * timeref(d.category);
            if (block.timestamp < finalDeadline) revert TaskNotExpired(tid, finalDeadline);
            _done[dealId][rel >> 8] = bits | mask;
            _failed[dealId][rel >> 8] |= mask;
            _refund(dealId, requester, d.taskPrice, d.hasEscrow);
            emit TaskFailed(tid, dealId);
        }
    }
    /// @dev Unlocks a failed task's escrow (app + dataset + pool price) back to its requester.
    function _refund(bytes32 dealId, address requester, uint256 taskPrice, bool hasEscrow) private {
        uint256 amount = taskPrice;
        if (hasEscrow) {
            DealEscrow memory e = _loadEscrow(dealId);
            amount += e.appPrice + e.datasetPrice;
        }
        _frozen[requester] -= amount;
        _credit(requester, amount);
    }

    // ---------------------------------------------------------------------------------------
    // Orders: PoCo v5's four signed orders, matchOrders, cancellation, EIP-712 domain (EIP-5267)
    // ---------------------------------------------------------------------------------------
    // The orders, their type strings and the matching rules are PoCo v5's (IexecLibOrders_v5,
    // IexecPoco1.matchOrders); the README lists each field. Differences: restrictions are single
    // addresses (no ERC-734 identity groups); the hub's own deal rules apply too (valid TEE tag,
    // trust ≤ 1 for TEE, task indices within 8 bytes); orders carry no expiry (PoCo v5's carry none):
    // an owner ends an order by cancelling it on chain. The Domain (src/Orchestrator.Domain/Orders)
    // checks the same rules in the same order and names them as these errors do.

    /// @notice An app owner's offer: `sign` is the owner's 65-byte EIP-712 signature (not hashed).
    struct AppOrder {
        address app;
        uint256 appprice;
        uint256 volume;
        bytes32 tag;
        address datasetrestrict;
        address workerpoolrestrict;
        address requesterrestrict;
        bytes32 salt;
        bytes sign;
    }

    /// @notice A dataset owner's offer; all zero (unsigned) for a request without a dataset.
    struct DatasetOrder {
        address dataset;
        uint256 datasetprice;
        uint256 volume;
        bytes32 tag;
        address apprestrict;
        address workerpoolrestrict;
        address requesterrestrict;
        bytes32 salt;
        bytes sign;
    }

    /// @notice A pool owner's offer of computing (the pool is its owner's address, who signs).
    struct WorkerpoolOrder {
        address workerpool;
        uint256 workerpoolprice;
        uint256 volume;
        bytes32 tag;
        uint256 category;
        uint256 trust;
        address apprestrict;
        address datasetrestrict;
        address requesterrestrict;
        bytes32 salt;
        bytes sign;
    }

    /// @notice A requester's bid.
    struct RequestOrder {
        address app;
        uint256 appmaxprice;
        address dataset;
        uint256 datasetmaxprice;
        address workerpool;
        uint256 workerpoolmaxprice;
        address requester;
        uint256 volume;
        bytes32 tag;
        uint256 category;
        uint256 trust;
        address beneficiary;
        address callback;
        string params;
        bytes32 salt;
        bytes sign;
    }

    /// @notice The `party` argument of the order errors.
    uint8 public constant PARTY_APP = 0;
    uint8 public constant PARTY_DATASET = 1;
    uint8 public constant PARTY_WORKERPOOL = 2;
    uint8 public constant PARTY_REQUEST = 3;

    bytes32 private constant APPORDER_TYPEHASH = keccak256(
        "AppOrder(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt)"
    );
    bytes32 private constant DATASETORDER_TYPEHASH = keccak256(
        "DatasetOrder(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt)"
    );
    bytes32 private constant WORKERPOOLORDER_TYPEHASH = keccak256(
        "WorkerpoolOrder(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt)"
    );
    bytes32 private constant REQUESTORDER_TYPEHASH = keccak256(
        "RequestOrder(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address beneficiary,address callback,string params,bytes32 salt)"
    );
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    string private constant DOMAIN_NAME = "OrchestratorHub";
    string private constant DOMAIN_VERSION = "1";

    /// @dev Tasks sold or cancelled per order, keyed by the order's EIP-712 digest (PoCo's `m_consumed`).
    mapping(bytes32 => uint256) private _consumed;

    /// @notice A match: the deal and the orders' digests (PoCo's event).
    event OrdersMatched(bytes32 dealid, bytes32 appHash, bytes32 datasetHash, bytes32 workerpoolHash, bytes32 requestHash, uint256 volume);
    /// @notice An owner cancelled an order: its consumed count is now its volume.
    event OrderCancelled(bytes32 indexed orderHash, uint8 party);
    /// @notice EIP-5267: the domain changed (never emitted: it is fixed at deployment, but wallets expect the event).
    event EIP712DomainChanged();

    error CategoryMismatch(uint256 requested, uint256 offered);
    error UnknownCategory(uint256 category);
    error TrustAboveOffer(uint256 requested, uint256 offered);
    error PriceAboveMax(uint8 party, uint256 price, uint256 maxPrice);
    error TagNotOffered(bytes32 asked, bytes32 offered);
    error TeeAppRequired(bytes32 appTag);
    error AssetMismatch(uint8 party);
    error Restricted(uint8 party, address restriction, address excluded);
    error BadOrderSignature(uint8 party);
    error VolumeExhausted(uint8 party, bytes32 orderHash);
    error NotOrderSigner(bytes32 orderHash, address caller);

    /// @notice EIP-5267: the EIP-712 domain orders are signed under.
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", DOMAIN_NAME, DOMAIN_VERSION, block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /// @notice Tasks sold or cancelled of the order with this EIP-712 digest.
    function consumedOf(bytes32 orderHash) external view returns (uint256) {
        return _consumed[orderHash];
    }

    /// @notice Matches a request with an app, dataset and workerpool order and creates the deal through the
    /// same path as `createDeal`. Anyone may call it: every signature, rule and remaining volume is checked here.
    /// The deal's volume is the smallest remaining volume, `botFirst` the request's consumed count, and
    /// `dealId = keccak256(requestHash ‖ botFirst)` (PoCo's rule). The requester's balance pays the escrow.
    function matchOrders(
        AppOrder calldata a,
        DatasetOrder calldata d,
        WorkerpoolOrder calldata w,
        RequestOrder calldata r
    ) external returns (bytes32 dealId) {
        bytes32 tag = a.tag | d.tag | r.tag;
        _checkOrderTerms(a, d, w, r, tag);
        _checkRestrictions(a, d, w, r);

        bytes32 ah = _appHash(a);
        address owner = _apps[a.app].owner;
        if (owner == address(0)) revert UnknownAsset(a.app);
        if (_signer(ah, a.sign) != owner) revert BadOrderSignature(PARTY_APP);
        bytes32 dh;
        bool hasDataset = d.dataset != address(0);
        if (hasDataset) {
            dh = _datasetHash(d);
            owner = _datasets[d.dataset].owner;
            if (owner == address(0)) revert UnknownAsset(d.dataset);
            if (_signer(dh, d.sign) != owner) revert BadOrderSignature(PARTY_DATASET);
        }
        bytes32 wh = _workerpoolHash(w);
        if (_pools[w.workerpool].scheduler == address(0)) revert UnknownAsset(w.workerpool);
        if (_signer(wh, w.sign) != w.workerpool) revert BadOrderSignature(PARTY_WORKERPOOL);
        bytes32 rh = _requestHash(r);
        if (_signer(rh, r.sign) != r.requester) revert BadOrderSignature(PARTY_REQUEST);

        uint256 volume = _remaining(a.volume, ah, PARTY_APP, type(uint256).max);
        if (hasDataset) volume = _remaining(d.volume, dh, PARTY_DATASET, volume);
        volume = _remaining(w.volume, wh, PARTY_WORKERPOOL, volume);
        volume = _remaining(r.volume, rh, PARTY_REQUEST, volume);
        uint256 botFirst = _consumed[rh];
        if (botFirst > type(uint64).max || volume > type(uint64).max - botFirst + 1) revert BotOutOfRange(botFirst, volume);

        _consumed[ah] += volume;
        if (hasDataset) _consumed[dh] += volume;
        _consumed[wh] += volume;
        _consumed[rh] = botFirst + volume;

        dealId = _hash2(rh, bytes32(botFirst));
        DealParams memory p = DealParams({
            pool: w.workerpool,
            app: a.app,
            dataset: d.dataset,
            category: uint8(r.category),
            trust: r.trust,
            tag: tag,
            botFirst: botFirst,
            botSize: volume,
            taskPrice: w.workerpoolprice,
            params: r.params,
            salt: r.salt,
            callback: r.callback
        });
        // The escrow lock (app + dataset + pool price per task) is `_createDeal`'s, as for createDeal.
        _createDeal(dealId, r.requester, p, keccak256(bytes(r.params)), a.appprice, hasDataset ? d.datasetprice : 0, 0);
        emit OrdersMatched(dealId, ah, dh, wh, rh, volume);
    }

    /// @notice The app's owner ends an app order: nothing more of it can be matched.
    function cancelAppOrder(AppOrder calldata a) external {
        bytes32 h = _appHash(a);
        if (msg.sender != _apps[a.app].owner) revert NotOrderSigner(h, msg.sender);
        _cancel(h, a.volume, PARTY_APP);
    }

    /// @notice The dataset's owner ends a dataset order.
    function cancelDatasetOrder(DatasetOrder calldata d) external {
        bytes32 h = _datasetHash(d);
        if (msg.sender != _datasets[d.dataset].owner || msg.sender == address(0)) revert NotOrderSigner(h, msg.sender);
        _cancel(h, d.volume, PARTY_DATASET);
    }

    /// @notice The pool's owner ends a workerpool order.
    function cancelWorkerpoolOrder(WorkerpoolOrder calldata w) external {
        bytes32 h = _workerpoolHash(w);
        if (msg.sender != w.workerpool) revert NotOrderSigner(h, msg.sender);
        _cancel(h, w.volume, PARTY_WORKERPOOL);
    }

    /// @notice The requester ends a request order.
    function cancelRequestOrder(RequestOrder calldata r) external {
        bytes32 h = _requestHash(r);
        if (msg.sender != r.requester) revert NotOrderSigner(h, msg.sender);
        _cancel(h, r.volume, PARTY_REQUEST);
    }

    function _cancel(bytes32 h, uint256 volume, uint8 party) private {
        // PoCo: cancelling sets the consumed count to the volume (never lowers it).
        if (_consumed[h] < volume) _consumed[h] = volume;
        emit OrderCancelled(h, party);
    }

    /// @dev PoCo's price, tag, trust and category rules, then the hub's own deal rules. Returns the TEE flag.
    function _checkOrderTerms(
        AppOrder calldata a,
        DatasetOrder calldata d,
        WorkerpoolOrder calldata w,
        RequestOrder calldata r,
        bytes32 tag
    ) private pure returns (bool tee) {
        if (r.category != w.category) revert CategoryMismatch(r.category, w.category);
        if (r.category >= CATEGORY_COUNT) revert UnknownCategory(r.category);
        if (r.trust > w.trust) revert TrustAboveOffer(r.trust, w.trust);
        if (a.appprice > r.appmaxprice) revert PriceAboveMax(PARTY_APP, a.appprice, r.appmaxprice);
        if (d.datasetprice > r.datasetmaxprice) revert PriceAboveMax(PARTY_DATASET, d.datasetprice, r.datasetmaxprice);
        if (w.workerpoolprice > r.workerpoolmaxprice) revert PriceAboveMax(PARTY_WORKERPOOL, w.workerpoolprice, r.workerpoolmaxprice);
        if (tag & ~w.tag != 0) revert TagNotOffered(tag, w.tag);
        if ((uint256(tag ^ a.tag) & 1) != 0) revert TeeAppRequired(a.tag);
        tee = _checkTag(tag);
        if (tee && r.trust > 1) revert InvalidTrust(r.trust);
        if (r.app != a.app) revert AssetMismatch(PARTY_APP);
        if (r.dataset != d.dataset) revert AssetMismatch(PARTY_DATASET);
    }

    /// @dev Each restriction is zero or names the counterparty, in PoCo's order.
    function _checkRestrictions(AppOrder calldata a, DatasetOrder calldata d, WorkerpoolOrder calldata w, RequestOrder calldata r)
        private
        pure
    {
        _allow(r.workerpool, w.workerpool, PARTY_REQUEST);
        _allow(a.datasetrestrict, d.dataset, PARTY_APP);
        _allow(a.workerpoolrestrict, w.workerpool, PARTY_APP);
        _allow(a.requesterrestrict, r.requester, PARTY_APP);
        _allow(d.apprestrict, a.app, PARTY_DATASET);
        _allow(d.workerpoolrestrict, w.workerpool, PARTY_DATASET);
        _allow(d.requesterrestrict, r.requester, PARTY_DATASET);
        _allow(w.apprestrict, a.app, PARTY_WORKERPOOL);
        _allow(w.datasetrestrict, d.dataset, PARTY_WORKERPOOL);
        _allow(w.requesterrestrict, r.requester, PARTY_WORKERPOOL);
    }

    function _allow(address restriction, address party, uint8 order) private pure {
        if (restriction != address(0) && restriction != party) revert Restricted(order, restriction, party);
    }

    /// @dev min(smallest, volume − consumed); reverts when the order has nothing left.
    function _remaining(uint256 volume, bytes32 h, uint8 party, uint256 smallest) private view returns (uint256) {
        uint256 consumed = _consumed[h];
        if (consumed >= volume) revert VolumeExhausted(party, h);
        uint256 left = volume - consumed;
        return left < smallest ? left : smallest;
    }

    function _appHash(AppOrder calldata a) private view returns (bytes32) {
        return _typed(keccak256(abi.encode(
            APPORDER_TYPEHASH, a.app, a.appprice, a.volume, a.tag, a.datasetrestrict, a.workerpoolrestrict, a.requesterrestrict, a.salt
        )));
    }

    function _datasetHash(DatasetOrder calldata d) private view returns (bytes32) {
        return _typed(keccak256(abi.encode(
            DATASETORDER_TYPEHASH, d.dataset, d.datasetprice, d.volume, d.tag, d.apprestrict, d.workerpoolrestrict, d.requesterrestrict, d.salt
        )));
    }

    function _workerpoolHash(WorkerpoolOrder calldata w) private view returns (bytes32) {
        return _typed(keccak256(abi.encode(
            WORKERPOOLORDER_TYPEHASH, w.workerpool, w.workerpoolprice, w.volume, w.tag, w.category, w.trust,
            w.apprestrict, w.datasetrestrict, w.requesterrestrict, w.salt
        )));
    }

    function _requestHash(RequestOrder calldata r) private view returns (bytes32) {
        bytes memory head = abi.encode(
            REQUESTORDER_TYPEHASH, r.app, r.appmaxprice, r.dataset, r.datasetmaxprice, r.workerpool, r.workerpoolmaxprice, r.requester
        );
        return _typed(keccak256(abi.encodePacked(
            head, abi.encode(r.volume, r.tag, r.category, r.trust, r.beneficiary, r.callback, keccak256(bytes(r.params)), r.salt)
        )));
    }

    /// @dev keccak256(0x1901 ‖ domainSeparator ‖ structHash), the separator over this chain and this contract.
    function _typed(bytes32 structHash) private view returns (bytes32) {
        bytes32 separator = keccak256(abi.encode(
            DOMAIN_TYPEHASH, keccak256(bytes(DOMAIN_NAME)), keccak256(bytes(DOMAIN_VERSION)), block.chainid, address(this)
        ));
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }

    /// @dev The signer of `digest` (no prefix) from r ‖ s ‖ v; zero unless 65 bytes, v 27/28 and low s.
    function _signer(bytes32 digest, bytes calldata sign) private pure returns (address) {
        if (sign.length != 65) return address(0);
        bytes32 r = bytes32(sign[0:32]);
        bytes32 s = bytes32(sign[32:64]);
        uint8 v = uint8(sign[64]);
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) return address(0);
        return ecrecover(digest, v, r, s);
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
        bytes memory terms = abi.encode(
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
        );
        // The callback is bound by the id (as in PoCo's request order) but only hashed when set:
        // every deal without one keeps the id it had before callbacks existed.
        requestHash = p.callback == address(0) ? keccak256(terms) : keccak256(abi.encodePacked(terms, uint256(uint160(p.callback))));
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

    /// @dev ecrecover of the EIP-191 (personal_sign, 32-byte message) signature r‖s‖v found at
    /// absolute calldata offset `at` (65 bytes, bounds checked by the caller); zero for
    /// v ∉ {27, 28} or s > secp256k1n/2.
    function _recoverAt(bytes32 message, uint256 at) private view returns (address signer) {
        bytes32 r;
        bytes32 s;
        uint256 v;
        assembly ("memory-safe") {
            r := calldataload(at)
            s := calldataload(add(at, 0x20))
            v := byte(0, calldataload(add(at, 0x40)))
        }
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) return address(0);
        // The digest and the precompile's input in free memory, without allocating it.
        assembly ("memory-safe") {
            mstore(0x00, "\x19Ethereum Signed Message:\n32")
            mstore(0x1c, message)
            let digest := keccak256(0x00, 0x3c)
            let m := mload(0x40)
            mstore(m, digest)
            mstore(add(m, 0x20), v)
            mstore(add(m, 0x40), r)
            mstore(add(m, 0x60), s)
            mstore(0x00, 0)
            if iszero(staticcall(gas(), 0x01, m, 0x80, 0x00, 0x20)) { revert(0, 0) }
            signer := mload(0x00)
        }
    }

    /// @dev floor(log2(x)) for x ≥ 1.
    function _log2(uint256 x) private pure returns (uint256 r) {
        while (x > 1) {
            x >>= 1;
            ++r;
        }
    }
}
