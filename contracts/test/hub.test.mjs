// Behaviour of OrchestratorHub on a real Anvil node: deals, batched finalization with the PoCo
// consensus and reward rules, access control, double finalization, signatures, claims.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ZERO_ADDRESS, contribution, digestOf, expectRevert, hexToBytes, taskIdOf, toHex, word,
} from './helpers.mjs';
import { PRICE, RATIO, RESULT_BASE, STAKE, WORKERS_REWARD, setup } from './fixture.mjs';

const COMPLETED = 3n;
const FAILED = 4n;
const ACTIVE = 1n;

let fx;
before(async () => { fx = await setup({ accounts: 20, workers: 10, enclaves: 4 }); });
after(async () => { await fx?.stop(); });

describe('pools and accounts', () => {
  test('registerPool records the scheduler and ratio; bad ratio and zero scheduler are refused', async () => {
    const [scheduler, ratio] = await fx.hub.call('poolOf', [fx.poolOwner]);
    assert.equal(scheduler.toLowerCase(), fx.scheduler.toLowerCase());
    assert.equal(ratio, RATIO);
    await expectRevert(fx.hub.send('registerPool', [fx.scheduler, 101n], { from: fx.outsider }), 'InvalidRewardRatio');
    await expectRevert(fx.hub.send('registerPool', [ZERO_ADDRESS, 1n], { from: fx.outsider }), 'ZeroAddress');
  });

  test('deposit and withdraw move native currency; over-withdrawal is refused; nothing frozen without deals', async () => {
    const w = fx.outsider;
    await fx.hub.send('deposit', [], { from: w, value: 5000n });
    assert.equal(await fx.balance(w), 5000n);
    await expectRevert(fx.hub.send('withdraw', [5001n], { from: w }), 'InsufficientBalance');
    const before = BigInt(await fx.rpc.call('eth_getBalance', [fx.hub.address, 'latest']));
    await fx.hub.send('withdraw', [5000n], { from: w });
    const afterBal = BigInt(await fx.rpc.call('eth_getBalance', [fx.hub.address, 'latest']));
    assert.equal(before - afterBal, 5000n);
    assert.equal(await fx.balance(w), 0n);
    assert.equal(await fx.hub.call('frozenOf', [w]), 0n);
  });
});

describe('createDeal', () => {
  test('categories: timeref XS 300, S 1200, M 3600, L 10800, XL 36000; no sixth', async () => {
    const expected = [300n, 1200n, 3600n, 10800n, 36000n];
    for (let i = 0; i < 5; i++) assert.equal(await fx.hub.call('timeref', [i]), expected[i]);
    await expectRevert(fx.hub.call('timeref', [5]), 'InvalidCategory');
    assert.equal(await fx.hub.call('WORKER_STAKE_RATIO_PERCENT'), 30n);
    assert.equal(await fx.hub.call('FINAL_DEADLINE_RATIO'), 10n);
  });

  test('escrow, event, stored deal and ids', async () => {
    const { dealId, params, event, receipt } = await fx.createDeal({ botFirst: 5n, botSize: 3n, category: 2 });
    const expected = fx.expectedDealId(fx.requester, params);
    assert.equal(dealId, expected.dealId);
    const [requestHash, computed] = await fx.hub.call('computeDealId', [fx.requester, params]);
    assert.equal(requestHash, expected.requestHash);
    assert.equal(computed, expected.dealId);

    const block = await fx.rpc.call('eth_getBlockByNumber', [receipt.blockNumber, false]);
    const a = event.args;
    assert.equal(a.requester.toLowerCase(), fx.requester.toLowerCase());
    assert.equal(a.pool.toLowerCase(), fx.poolOwner.toLowerCase());
    assert.equal(a.app, params.app);
    assert.equal(a.dataset, ZERO_ADDRESS);
    assert.equal(a.category, 2n);
    assert.equal(a.trust, 1n);
    assert.equal(a.botFirst, 5n);
    assert.equal(a.botSize, 3n);
    assert.equal(a.taskPrice, PRICE);
    assert.equal(a.startTime, BigInt(block.timestamp));
    assert.equal(a.params, params.params);

    const d = await fx.hub.call('deal', [dealId]);
    assert.equal(d.requester.toLowerCase(), fx.requester.toLowerCase());
    assert.equal(d.startTime, BigInt(block.timestamp));
    assert.equal(d.schedulerRewardRatioPercent, RATIO);
    assert.equal(d.botSize, 3n);
    assert.equal(d.tee, false);
    const [contributionDeadline, finalDeadline] = await fx.hub.call('dealDeadlines', [dealId]);
    assert.equal(contributionDeadline, BigInt(block.timestamp) + 7n * 3600n);
    assert.equal(finalDeadline, BigInt(block.timestamp) + 10n * 3600n);

    assert.equal(await fx.hub.call('taskId', [dealId, 6n]), taskIdOf(dealId, 6n));
    assert.equal(await fx.hub.call('taskStatusOf', [dealId, 5n]), ACTIVE);
    assert.equal(await fx.hub.call('taskStatusOf', [dealId, 8n]), 0n);
    assert.equal(await fx.hub.call('isFinal', [dealId, 5n]), false);
    assert.equal(BigInt(await fx.rpc.call('eth_getBalance', [fx.hub.address, 'latest'])) >= 3n * PRICE, true);
  });

  test('short escrow, duplicate deal, unknown pool, bad category and empty deal are refused', async () => {
    const p = fx.params({ botSize: 2n });
    // The requester's free balance plus what it sends must cover the escrow.
    const free = await fx.balance(fx.requester);
    const frozen = await fx.hub.call('frozenOf', [fx.requester]);
    const args = await expectRevert(fx.hub.send('createDeal', [p], { from: fx.requester, value: 2n * PRICE - 1n - free }), 'InsufficientBalance');
    assert.deepEqual(args, [2n * PRICE, 2n * PRICE - 1n]);
    assert.equal(await fx.balance(fx.requester), free, 'a refused deal changes no balance');
    assert.equal(await fx.hub.call('frozenOf', [fx.requester]), frozen);
    await fx.hub.send('createDeal', [p], { from: fx.requester, value: 2n * PRICE - free });
    await expectRevert(fx.hub.send('createDeal', [p], { from: fx.requester, value: 2n * PRICE }), 'DealExists');
    // the same parameters from another requester make another deal
    await fx.hub.send('createDeal', [p], { from: fx.outsider, value: 2n * PRICE });
    await expectRevert(fx.createDeal({ pool: fx.outsider }), 'UnknownPool');
    await expectRevert(fx.createDeal({ category: 5 }), 'InvalidCategory');
    await expectRevert(fx.createDeal({ botSize: 0n }), 'EmptyDeal');
  });

  test('TEE tags: only 0x3, 0x5, 0x9 (or no TEE bit) and TEE trust only 0 or 1', async () => {
    for (const bad of [0x1, 0x2, 0x4, 0x7, 0xb, 0xf, 0x8]) {
      await expectRevert(fx.createDeal({ tag: word(bad) }), 'InvalidTag');
    }
    for (const good of [0x3, 0x5, 0x9, 0x103]) {
      for (const trust of [0n, 1n]) {
        const { dealId } = await fx.createDeal({ tag: word(good), trust });
        assert.equal((await fx.hub.call('deal', [dealId])).tee, true);
      }
      await expectRevert(fx.createDeal({ tag: word(good), trust: 2n }), 'InvalidTrust');
    }
    // non-TEE deals take any trust; higher bits (e.g. GPU 0x100) are free
    const { dealId } = await fx.createDeal({ tag: word(0x100), trust: 5n });
    assert.equal((await fx.hub.call('deal', [dealId])).tee, false);
  });
});

describe('finalizeBatch', () => {
  test('trust 1: each worker gets the workers reward, the pool owner the rest, scores unchanged', async () => {
    const { dealId, taskIds } = await fx.createDeal({ botSize: 3n });
    const ws = fx.workers.slice(0, 3);
    const before = await fx.balances([...ws, fx.poolOwner, fx.scheduler]);
    const scores = await Promise.all(ws.map((w) => fx.score(w)));
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await fx.taskResult({ dealId, idx: BigInt(i), workers: [ws[i]] }));
    const receipt = await fx.finalize(results);
    const after = await fx.balances([...ws, fx.poolOwner, fx.scheduler]);
    for (let i = 0; i < 3; i++) {
      assert.equal(after[i] - before[i], WORKERS_REWARD, `worker ${i}`);
      assert.equal(await fx.score(ws[i]), scores[i]);
    }
    assert.equal(after[3] - before[3], 3n * (PRICE - WORKERS_REWARD), 'pool owner');
    assert.equal(after[4], before[4], 'the scheduler account itself is not credited');

    const finals = fx.finalized(receipt);
    assert.equal(receipt.events.filter((e) => e.name === 'TasksFinalized').length, 1, 'one log for the run');
    assert.equal(finals.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.equal(finals[i].taskId, taskIds[i]);
      assert.equal(finals[i].resultDigest, results[i].resultDigest);
      assert.equal(await fx.hub.call('taskStatusOf', [dealId, BigInt(i)]), COMPLETED);
      assert.equal(await fx.hub.call('isFinal', [dealId, BigInt(i)]), true);
    }
  });

  test('trust 3: a wrong worker loses stake and score, the revealed winners share the reward', async () => {
    const [a, b, c] = fx.workers.slice(3, 6);
    // Warm-up: 12 replicated tasks where all three agree: each score +1 per task (→ 12, weight 3).
    const warm = await fx.createDeal({ trust: 3n, botSize: 12n });
    const before0 = await fx.balances([a, b, c, fx.poolOwner]);
    const warmResults = [];
    for (let i = 0n; i < 12n; i++) warmResults.push(await fx.taskResult({ dealId: warm.dealId, idx: i, workers: [a, b, c] }));
    await fx.finalize(warmResults);
    const share3 = WORKERS_REWARD / 3n; // equal floor(log2(weight)) = 1
    const after0 = await fx.balances([a, b, c, fx.poolOwner]);
    for (let i = 0; i < 3; i++) assert.equal(after0[i] - before0[i], 12n * share3);
    assert.equal(after0[3] - before0[3], 12n * (PRICE - 3n * share3));
    for (const w of [a, b, c]) assert.equal(await fx.score(w), 12n);

    // a (weight 3) and b (weight 3) agree, c (weight 3) is wrong: group 9, total 13, 27 > 26.
    const { dealId } = await fx.createDeal({ trust: 3n });
    const r = await fx.taskResult({ dealId, idx: 0n, workers: [a, c, b], outputs: [undefined, 'a wrong output', undefined], revealed: [true, false, true] });
    const before = await fx.balances([a, b, c, fx.poolOwner]);
    const receipt = await fx.finalize([r]);
    const after = await fx.balances([a, b, c, fx.poolOwner]);
    // PoCo: the seized stake joins the reward before the workers' part is taken.
    const share = ((PRICE + STAKE) * (100n - RATIO)) / 100n / 2n;
    assert.equal(after[0] - before[0], share);
    assert.equal(after[1] - before[1], share);
    assert.equal(before[2] - after[2], STAKE, 'the wrong worker loses its stake');
    assert.equal(after[3] - before[3], PRICE + STAKE - 2n * share, 'the pool gets the rest of price and seized stake');
    assert.equal(await fx.score(a), 13n);
    assert.equal(await fx.score(b), 13n);
    assert.equal(await fx.score(c), 8n, 'floor(12*2/3)');
    assert.equal(fx.finalized(receipt).length, 1);
  });

  test('trust 3 with fresh workers: 2 against 1 is no consensus; an unrevealed winner is punished', async () => {
    const [a, b, c, d] = fx.workers.slice(6, 10);
    const { dealId } = await fx.createDeal({ trust: 3n, botSize: 2n });
    // 2·2 = 4 for the winners, total 1 + 4 + 2 = 7: 12 > 14 fails.
    const r0 = await fx.taskResult({ dealId, idx: 0n, workers: [a, b, c], outputs: [undefined, undefined, 'wrong'], revealed: [true, true, false] });
    await expectRevert(fx.finalize([r0]), 'NoConsensus');
    // three agree (8, total 9: 24 > 16), d did not reveal: d loses its stake, score floor(0) = 0.
    const r1 = await fx.taskResult({ dealId, idx: 1n, workers: [a, b, d], revealed: [true, true, false] });
    const before = await fx.balances([a, b, d, fx.poolOwner]);
    await fx.finalize([r1]);
    const after = await fx.balances([a, b, d, fx.poolOwner]);
    const share = ((PRICE + STAKE) * (100n - RATIO)) / 100n / 2n;
    assert.equal(after[0] - before[0], share);
    assert.equal(after[1] - before[1], share);
    assert.equal(before[2] - after[2], STAKE);
    assert.equal(after[3] - before[3], PRICE + STAKE - 2n * share);
    assert.equal(await fx.score(a), 1n);
    assert.equal(await fx.score(d), 0n);
    // a revealed contribution that is not the winning hash is refused
    const r0bad = await fx.taskResult({ dealId, idx: 0n, workers: [a, b, c, d], outputs: [undefined, undefined, 'wrong', undefined] });
    await expectRevert(fx.finalize([r0bad]), 'BadReveal');
    // nobody revealed
    const r0none = await fx.taskResult({ dealId, idx: 0n, workers: [a, b, d], revealed: [false, false, false] });
    await expectRevert(fx.finalize([r0none]), 'NoReveal');
  });

  test('only the pool scheduler may finalize (not the pool owner, not the requester)', async () => {
    const { dealId } = await fx.createDeal();
    const r = await fx.taskResult({ dealId, idx: 0n, workers: [fx.workers[0]] });
    for (const from of [fx.poolOwner, fx.requester, fx.outsider]) {
      const args = await expectRevert(fx.finalize([r], from), 'NotScheduler');
      assert.equal(args[0].toLowerCase(), from.toLowerCase());
    }
    await fx.finalize([r]);
  });

  test('a task is never finalized twice: a second batch, or twice in one batch, reverts whole', async () => {
    const { dealId, taskIds } = await fx.createDeal({ botSize: 3n });
    const w = fx.workers[1];
    const r0 = await fx.taskResult({ dealId, idx: 0n, workers: [w] });
    const r1 = await fx.taskResult({ dealId, idx: 1n, workers: [w] });
    const r2 = await fx.taskResult({ dealId, idx: 2n, workers: [w] });
    await fx.finalize([r0]);
    const bal = await fx.balance(w);
    const args = await expectRevert(fx.finalize([r1, r0]), 'TaskAlreadyFinal');
    assert.equal(args[0], taskIds[0]);
    assert.equal(await fx.hub.call('isFinal', [dealId, 1n]), false, 'the whole batch reverted');
    await expectRevert(fx.finalize([r2, r2]), 'TaskAlreadyFinal');
    assert.equal(await fx.hub.call('isFinal', [dealId, 2n]), false);
    assert.equal(await fx.balance(w), bal, 'nobody was paid by the reverted batches');
    await fx.finalize([r1, r2]);
    assert.equal(await fx.balance(w), bal + 2n * WORKERS_REWARD);
  });

  test('bad signatures, malleable signatures, duplicates, missing stake and bad indices are refused', async () => {
    const { dealId } = await fx.createDeal({ botFirst: 10n, botSize: 2n, trust: 3n });
    const [a, b, c] = fx.workers.slice(0, 3);
    const good = await fx.taskResult({ dealId, idx: 10n, workers: [a, b, c] });
    const clone = (r) => ({ ...r, contributions: r.contributions.map((x) => ({ ...x })) });

    // signed by someone else
    let r = clone(good);
    r.contributions[1].workerSignature = good.contributions[0].workerSignature;
    let args = await expectRevert(fx.finalize([r]), 'BadWorkerSignature');
    assert.equal(args[1].toLowerCase(), b.toLowerCase());
    // tampered seal
    r = clone(good);
    r.contributions[2].resultSeal = word(1);
    await expectRevert(fx.finalize([r]), 'BadWorkerSignature');
    // high-s twin of a valid signature (s' = n - s, v flipped) recovers the same key but is refused
    r = clone(good);
    const sig = hexToBytes(good.contributions[0].workerSignature);
    const n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141n;
    const s = BigInt('0x' + sig.subarray(32, 64).toString('hex'));
    const twin = Buffer.concat([sig.subarray(0, 32), hexToBytes(word(n - s)), Buffer.from([sig[64] === 27 ? 28 : 27])]);
    r.contributions[0].workerSignature = toHex(twin);
    await expectRevert(fx.finalize([r]), 'BadWorkerSignature');
    // v outside {27, 28}, and a short signature
    r = clone(good);
    const v0 = Buffer.from(sig);
    v0[64] -= 27;
    r.contributions[0].workerSignature = toHex(v0);
    await expectRevert(fx.finalize([r]), 'BadWorkerSignature');
    // a short signature cannot even be packed: the layout has 65 bytes for it
    r.contributions[0].workerSignature = toHex(sig.subarray(0, 64));
    assert.throws(() => fx.pack([r]), /65 bytes/);
    // the same worker twice
    r = clone(good);
    r.contributions[2] = { ...r.contributions[0] };
    await expectRevert(fx.finalize([r]), 'DuplicateWorker');
    // a worker without the stake
    const broke = fx.outsider;
    const rb = await fx.taskResult({ dealId, idx: 11n, workers: [a, b, broke] });
    args = await expectRevert(fx.finalize([rb]), 'InsufficientStake');
    assert.equal(args[2], STAKE);
    // index out of range
    const rOut = await fx.taskResult({ dealId, idx: 12n, workers: [a, b, c] });
    await expectRevert(fx.finalize([rOut]), 'InvalidTaskIndex');
    // no contribution
    await expectRevert(fx.finalize([{ ...good, contributions: [] }]), 'NoContribution');
    // unknown deal
    await expectRevert(fx.finalize([{ ...good, dealId: word(12345) }]), 'UnknownDeal');
    // and the untouched result still goes through
    await fx.finalize([good]);
  });

  test('TEE fast path: one enclave-signed contribution completes, no stake, no score change', async () => {
    const { dealId } = await fx.createDeal({ tag: word(0x9), trust: 0n, botSize: 4n });
    const worker = fx.outsider; // no deposit at all
    const [e0, e1] = fx.enclaves;
    const bal = await fx.balance(worker);
    const poolBal = await fx.balance(fx.poolOwner);
    const r0 = await fx.taskResult({ dealId, idx: 0n, workers: [worker], enclaves: [e0] });
    const r1 = await fx.taskResult({ dealId, idx: 1n, workers: [worker], enclaves: [e1] });
    await fx.finalize([r0, r1]);
    assert.equal(await fx.balance(worker), bal + 2n * WORKERS_REWARD);
    assert.equal(await fx.balance(fx.poolOwner), poolBal + 2n * (PRICE - WORKERS_REWARD));
    assert.equal(await fx.score(worker), 0n);

    // no enclave signature on a TEE deal
    const r2 = await fx.taskResult({ dealId, idx: 2n, workers: [worker] });
    await expectRevert(fx.finalize([r2]), 'BadEnclaveSignature');
    // an enclave signature by another key than the challenge
    const r3 = await fx.taskResult({ dealId, idx: 2n, workers: [worker], enclaves: [e0] });
    r3.contributions[0].enclaveSignature = r1.contributions[0].enclaveSignature;
    await expectRevert(fx.finalize([r3]), 'BadEnclaveSignature');
    const r4 = { ...r3, contributions: [{ ...r3.contributions[0], enclaveChallenge: e1 }] };
    await expectRevert(fx.finalize([r4]), 'BadEnclaveSignature');
    // the fast path requires the contribution to be revealed and to match the digest
    const r5 = await fx.taskResult({ dealId, idx: 2n, workers: [worker], enclaves: [e0], revealed: [false] });
    await expectRevert(fx.finalize([r5]), 'NoReveal');
    const r6 = await fx.taskResult({ dealId, idx: 2n, workers: [worker], enclaves: [e0] });
    r6.resultDigest = digestOf('something else');
    await expectRevert(fx.finalize([r6]), 'BadReveal');
  });

  test('an enclave challenge on a non-TEE deal is checked too', async () => {
    const { dealId } = await fx.createDeal();
    const w = fx.workers[2];
    const r = await fx.taskResult({ dealId, idx: 0n, workers: [w], enclaves: [fx.enclaves[2]] });
    const bad = { ...r, contributions: [{ ...r.contributions[0], enclaveChallenge: fx.enclaves[3] }] };
    await expectRevert(fx.finalize([bad]), 'BadEnclaveSignature');
    await fx.finalize([r]);
  });

  test('contributions sign exactly keccak256(taskId ‖ resultHash ‖ resultSeal) with personal_sign', async () => {
    // A contribution whose worker signed the right hash for another task is refused.
    const { dealId } = await fx.createDeal({ botSize: 2n });
    const w = fx.workers[3];
    const t0 = taskIdOf(dealId, 0n);
    const t1 = taskIdOf(dealId, 1n);
    const digest = digestOf('x');
    const c1 = await contribution(fx.rpc, { worker: w, taskId: t1, digest });
    const c0 = await contribution(fx.rpc, { worker: w, taskId: t0, digest });
    await expectRevert(fx.finalize([{ dealId, idx: 0n, resultDigest: digest, contributions: [{ ...c0, workerSignature: c1.workerSignature }] }]), 'BadWorkerSignature');
    await fx.finalize([{ dealId, idx: 0n, resultDigest: digest, contributions: [c0] }]);
  });
});

describe('packed batches and done bits', () => {
  test('a batch mixes runs of several deals, a deal twice; done bits cross a word boundary', async () => {
    const a = await fx.createDeal({ botFirst: 1000n, botSize: 300n });
    const b = await fx.createDeal({ botSize: 2n });
    const w = fx.workers[4];
    const ra = [];
    for (const idx of [1255n, 1256n, 1000n, 1299n]) ra.push(await fx.taskResult({ dealId: a.dealId, idx, workers: [w] }));
    const rb = [await fx.taskResult({ dealId: b.dealId, idx: 0n, workers: [w] })];
    const bal = await fx.balance(w);
    const receipt = await fx.finalize([ra[0], ra[1], rb[0], ra[2]]);
    assert.deepEqual(fx.finalized(receipt).map((t) => t.idx), [1255n, 1256n, 0n, 1000n]);
    assert.equal(receipt.events.filter((e) => e.name === 'TasksFinalized').length, 3, 'one log per run');
    assert.equal(await fx.balance(w), bal + 4n * WORKERS_REWARD);
    assert.deepEqual(
      await fx.hub.call('taskStatusesOf', [[a.dealId, a.dealId, a.dealId, a.dealId, a.dealId, b.dealId, b.dealId], [1255n, 1256n, 1000n, 1299n, 1300n, 0n, 1n]]),
      [COMPLETED, COMPLETED, COMPLETED, ACTIVE, 0n, COMPLETED, ACTIVE],
    );
    // each done bit was kept, on both sides of the word boundary (offsets 255 and 256)
    for (const r of [ra[0], ra[1], ra[2]]) await expectRevert(fx.finalize([ra[3], r]), 'TaskAlreadyFinal');
    await fx.finalize([ra[3]]);
    await expectRevert(fx.hub.call('taskStatusesOf', [[a.dealId], [1n, 2n]]), 'LengthMismatch');
  });

  test('a truncated batch, an unrevealed contribution without its hashes and indices beyond 64 bits are refused', async () => {
    const { dealId } = await fx.createDeal();
    const r = await fx.taskResult({ dealId, idx: 0n, workers: [fx.workers[5]] });
    const packedBatch = hexToBytes(fx.pack([r]));
    const cut = toHex(packedBatch.subarray(0, packedBatch.length - 1));
    let args = await expectRevert(fx.hub.send('finalizeBatch', [cut], { from: fx.scheduler }), 'MalformedBatch');
    const header = BigInt(2 + Buffer.byteLength(RESULT_BASE));
    assert.equal(args[0], header + 34n + 41n, 'the offset of the contribution that does not fit');
    await expectRevert(fx.hub.send('finalizeBatch', ['0x'], { from: fx.scheduler }), 'MalformedBatch');
    const noHashes = Buffer.from(packedBatch);
    noHashes[Number(header) + 34 + 41] = 0; // flags: neither revealed nor hashes given
    await expectRevert(fx.hub.send('finalizeBatch', [toHex(noHashes)], { from: fx.scheduler }), 'MalformedBatch');
    // 2^63 + 2^63 + 1 tasks would need a 65-bit index (checked before anything is built from botSize)
    args = await expectRevert(fx.hub.send('createDeal', [fx.params({ botFirst: 1n << 63n, botSize: (1n << 63n) + 1n, taskPrice: 1n })], { from: fx.requester, value: (1n << 63n) + 1n }), 'BotOutOfRange');
    assert.equal(args[1], (1n << 63n) + 1n);
    await fx.createDeal({ botFirst: (1n << 64n) - 2n, botSize: 2n }); // the last two indices fit
    await fx.finalize([r]);
  });

  test('one unrevealed contributor at trust 1: a losing hash is no consensus, the winning one no reveal', async () => {
    const { dealId } = await fx.createDeal();
    const w = fx.workers[6];
    const lost = await fx.taskResult({ dealId, idx: 0n, workers: [w], outputs: ['other'], revealed: [false] });
    await expectRevert(fx.finalize([lost]), 'NoConsensus');
    const silent = await fx.taskResult({ dealId, idx: 0n, workers: [w], revealed: [false] });
    await expectRevert(fx.finalize([silent]), 'NoReveal');
    const broke = await fx.taskResult({ dealId, idx: 0n, workers: [fx.requester] }); // no deposit, no reward yet
    await expectRevert(fx.finalize([broke]), 'InsufficientStake');
  });
});

describe('claimBatch (runs last: it moves the chain clock)', () => {
  test('after the final deadline: FAILED, requester refunded, nobody punished; not before, not twice', async () => {
    // XS: timeref 300 s, final deadline start + 3000 s
    const { dealId, taskIds } = await fx.createDeal({ category: 0, botSize: 3n, trust: 3n });
    const [a, b, c] = fx.workers.slice(0, 3);
    const r0 = await fx.taskResult({ dealId, idx: 0n, workers: [a, b, c] });
    await fx.finalize([r0]);
    await expectRevert(fx.hub.send('claimBatch', [[dealId], [1n]], { from: fx.outsider }), 'TaskNotExpired');
    await expectRevert(fx.hub.send('claimBatch', [[dealId, dealId], [1n]], { from: fx.outsider }), 'LengthMismatch');

    const r1 = await fx.taskResult({ dealId, idx: 1n, workers: [a, b, c] });
    await fx.rpc.call('evm_increaseTime', [3001]);
    await fx.rpc.call('evm_mine', []);
    await expectRevert(fx.finalize([r1]), 'TaskExpired');

    const workersBefore = await fx.balances([a, b, c]);
    const scoresBefore = await Promise.all([a, b, c].map((w) => fx.score(w)));
    const reqBefore = await fx.balance(fx.requester);
    await expectRevert(fx.hub.send('claimBatch', [[dealId], [0n]], { from: fx.outsider }), 'TaskAlreadyFinal');
    await expectRevert(fx.hub.send('claimBatch', [[dealId], [3n]], { from: fx.outsider }), 'InvalidTaskIndex');
    const receipt = await fx.hub.send('claimBatch', [[dealId, dealId], [1n, 2n]], { from: fx.outsider });
    const failed = receipt.events.filter((e) => e.name === 'TaskFailed');
    assert.deepEqual(failed.map((e) => e.args.taskId), [taskIds[1], taskIds[2]]);
    assert.ok(failed.every((e) => e.args.dealId === dealId));
    assert.equal(await fx.balance(fx.requester), reqBefore + 2n * PRICE);
    assert.deepEqual(await fx.balances([a, b, c]), workersBefore);
    assert.deepEqual(await Promise.all([a, b, c].map((w) => fx.score(w))), scoresBefore);
    assert.equal(await fx.hub.call('taskStatusOf', [dealId, 1n]), FAILED);
    assert.equal(await fx.hub.call('taskStatusOf', [dealId, 0n]), COMPLETED);
    assert.deepEqual(await fx.hub.call('taskStatusesOf', [[dealId, dealId, dealId, dealId], [0n, 1n, 2n, 3n]]), [COMPLETED, FAILED, FAILED, 0n]);
    await expectRevert(fx.hub.send('claimBatch', [[dealId], [2n]], { from: fx.requester }), 'TaskAlreadyFinal');
    await expectRevert(fx.finalize([r1]), 'TaskAlreadyFinal');

    // the refund leaves through withdraw
    const eth0 = BigInt(await fx.rpc.call('eth_getBalance', [fx.requester, 'latest']));
    const rc = await fx.hub.send('withdraw', [2n * PRICE], { from: fx.requester });
    const eth1 = BigInt(await fx.rpc.call('eth_getBalance', [fx.requester, 'latest']));
    assert.equal(eth1 - eth0 + rc.gasUsedN * BigInt(rc.effectiveGasPrice), 2n * PRICE);
  });
});
