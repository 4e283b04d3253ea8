// A deployed OrchestratorHub on a fresh Anvil, with named accounts and helpers for deals and batches.
import {
  Contract, ZERO_ADDRESS, ZERO32, contribution, digestOf, hexToBytes, keccak256, loadArtifact, packBatch, packed, startAnvil,
  taskIdOf, word,
} from './helpers.mjs';

export const ETHER = 10n ** 18n;
export const PRICE = 10n ** 15n; // 0.001 ETH per task
export const RATIO = 10n; // the pool's scheduler reward ratio, percent
export const STAKE = (PRICE * 30n) / 100n;
export const WORKERS_REWARD = (PRICE * (100n - RATIO)) / 100n;
// The pool's public results API the fixture's batches name (emitted in every TasksFinalized).
export const RESULT_BASE = 'https://pool.example/results';

export async function setup({ accounts = 20, workers = 8, enclaves = 4, workerDeposit = ETHER } = {}) {
  const anvil = await startAnvil({ accounts });
  const { rpc } = anvil;
  const acc = anvil.accounts;
  const roles = {
    deployer: acc[0],
    requester: acc[1],
    poolOwner: acc[2],
    scheduler: acc[3],
    outsider: acc[4],
    enclaves: acc.slice(5, 5 + enclaves),
    workers: acc.slice(5 + enclaves, 5 + enclaves + workers),
  };
  if (roles.workers.length < workers) throw new Error(`not enough accounts for ${workers} workers`);
  const hub = await Contract.deploy(rpc, roles.deployer, loadArtifact('OrchestratorHub'));
  await hub.send('registerPool', [roles.scheduler, RATIO], { from: roles.poolOwner });
  for (const w of roles.workers) {
    if (workerDeposit > 0n) await hub.send('deposit', [], { from: w, value: workerDeposit });
  }
  let salt = 0n;

  const fx = {
    anvil, rpc, hub, ...roles,
    async stop() { await anvil.stop(); },

    params(overrides = {}) {
      return {
        pool: roles.poolOwner,
        app: '0x' + '0a'.repeat(20),
        dataset: ZERO_ADDRESS,
        category: 4, // XL: final deadline 100 h after the start
        trust: 1n,
        tag: ZERO32,
        botFirst: 0n,
        botSize: 1n,
        taskPrice: PRICE,
        params: '{"args":"--input 42"}',
        salt: word(++salt),
        callback: ZERO_ADDRESS,
        ...overrides,
      };
    },

    /** Creates a deal; returns { dealId, params, receipt, taskIds }. */
    async createDeal(overrides = {}, { from = roles.requester, value } = {}) {
      const p = fx.params(overrides);
      const escrow = value ?? BigInt(p.botSize) * BigInt(p.taskPrice);
      const receipt = await hub.send('createDeal', [p], { from, value: escrow });
      const ev = receipt.events.find((e) => e.name === 'DealCreated');
      const dealId = ev.args.dealId;
      const taskIds = [];
      for (let i = 0n; i < BigInt(p.botSize); i++) taskIds.push(taskIdOf(dealId, BigInt(p.botFirst) + i));
      return { dealId, params: p, receipt, event: ev, taskIds };
    },

    /** The request hash and deal id the contract must derive, computed here independently. */
    expectedDealId(requester, p) {
      const paramsHash = keccak256(Buffer.from(p.params, 'utf8'));
      const enc = Buffer.concat([
        word(BigInt(requester)), word(BigInt(p.pool)), word(BigInt(p.app)), word(BigInt(p.dataset)),
        word(p.category), word(p.trust), p.tag, word(p.botFirst), word(p.botSize), word(p.taskPrice),
        paramsHash, p.salt,
        // the callback is a 13th word only when set (deals without one keep their ids)
        ...(BigInt(p.callback) === 0n ? [] : [word(BigInt(p.callback))]),
      ].map((h) => Buffer.from(h.slice(2), 'hex')));
      const requestHash = keccak256(enc);
      return { requestHash, dealId: keccak256(packed(['bytes32', requestHash], ['uint256', 0n])) };
    },

    /** A TaskResult whose contributors all computed `output` (or their own `outputs[i]`). */
    async taskResult({ dealId, idx, output = `output ${dealId} ${idx}`, workers, outputs, revealed, enclaves, callbackData }) {
      const taskId = taskIdOf(dealId, idx);
      // With callback data the result digest is keccak256 of it (PoCo), not the output's SHA-256.
      const digest = callbackData !== undefined ? keccak256(hexToBytes(callbackData)) : digestOf(output);
      const contributions = [];
      for (let i = 0; i < workers.length; i++) {
        const d = outputs?.[i] !== undefined ? digestOf(outputs[i]) : digest;
        contributions.push(await contribution(rpc, {
          worker: workers[i], taskId, digest: d, revealed: revealed ? revealed[i] : true, enclave: enclaves?.[i] ?? null,
        }));
      }
      return { dealId, idx, resultDigest: digest, contributions, ...(callbackData !== undefined ? { callbackData } : {}) };
    },

    /** The packed finalizeBatch argument for these results. */
    pack(results, resultBase = RESULT_BASE) {
      return packBatch(results, resultBase);
    },

    /** The tasks a receipt's TasksFinalized logs report: [{ dealId, idx, taskId, resultDigest }]. */
    finalized(receipt) {
      const out = [];
      for (const e of receipt.events.filter((x) => x.name === 'TasksFinalized')) {
        const bytes = Buffer.from(e.args.results.slice(2), 'hex');
        for (let at = 0; at < bytes.length; at += 40) {
          const idx = bytes.readBigUInt64BE(at);
          out.push({ dealId: e.args.dealId, resultBase: e.args.resultBase, idx, taskId: taskIdOf(e.args.dealId, idx), resultDigest: '0x' + bytes.subarray(at + 8, at + 40).toString('hex') });
        }
      }
      return out;
    },

    finalize(results, from = roles.scheduler, { resultBase = RESULT_BASE, gas } = {}) {
      return hub.send('finalizeBatch', [fx.pack(results, resultBase)], { from, gas });
    },

    /** Deploys one of the tests' callback contracts (contracts/test/ResultReceivers.sol). */
    deployReceiver(name) {
      return Contract.deploy(rpc, roles.deployer, loadArtifact(name));
    },

    balance: (a) => hub.call('balanceOf', [a]),
    score: (a) => hub.call('scoreOf', [a]),
    async balances(list) {
      const out = [];
      for (const a of list) out.push(await fx.balance(a));
      return out;
    },
  };
  return fx;
}
