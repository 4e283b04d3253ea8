// The hub's money on a real Anvil node: the requester's escrow locked at deal creation, each
// finalized task paying the app owner, the dataset owner and the pool (its share split between
// the pool owner and the winning workers), a claimed task unlocking its share back, and the
// pools' worker stakes (PoCo's rule: losers' stakes join the reward). Every refusal leaves every
// balance as it was.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZERO_ADDRESS, expectRevert, word } from './helpers.mjs';
import { PRICE, RATIO, setup } from './fixture.mjs';

const APP_PRICE = 3n * 10n ** 14n;
const DATASET_PRICE = 2n * 10n ** 14n;
const PER_TASK = APP_PRICE + DATASET_PRICE + PRICE;
const IMAGE = 'registry.example/app@sha256:' + 'ab'.repeat(32);

let fx;
let appOwner;
let datasetOwner;
let app;
let dataset;

before(async () => {
  fx = await setup({ accounts: 20, workers: 6, enclaves: 2 });
  [appOwner, datasetOwner] = fx.anvil.accounts.slice(13, 15);
  const a = await fx.hub.send('registerApp', ['priced-app', IMAGE, 'policy', APP_PRICE], { from: appOwner });
  app = a.events.find((e) => e.name === 'AppRegistered').args.app;
  const d = await fx.hub.send('registerDataset', ['priced-data', word(7), 'https://data.example/d', DATASET_PRICE, [], [], [], []], { from: datasetOwner });
  dataset = d.events.find((e) => e.name === 'DatasetRegistered').args.dataset;
});
after(async () => { await fx?.stop(); });

const frozen = (a) => fx.hub.call('frozenOf', [a]);
const hubEth = async () => BigInt(await fx.rpc.call('eth_getBalance', [fx.hub.address, 'latest']));

/** Every balance and frozen amount the tests watch, in one object. */
async function snapshot(extra = []) {
  const accounts = { requester: fx.requester, appOwner, datasetOwner, pool: fx.poolOwner, outsider: fx.outsider };
  extra.forEach((a, i) => { accounts[`w${i}`] = a; });
  const out = {};
  for (const [name, a] of Object.entries(accounts)) out[name] = { free: await fx.balance(a), frozen: await frozen(a) };
  out.hubEth = await hubEth();
  return out;
}

describe('escrow', () => {
  test('createDeal locks botSize × (app + dataset + pool price) from the free balance and records who is paid', async () => {
    const before = await snapshot();
    const { dealId } = await fx.createDeal({ app, dataset, botSize: 3n }, { value: 3n * PER_TASK });
    const afterCreate = await snapshot();
    // what was sent is deposited, then all of it is locked
    assert.equal(afterCreate.requester.free, before.requester.free);
    assert.equal(afterCreate.requester.frozen, before.requester.frozen + 3n * PER_TASK);
    assert.equal(afterCreate.hubEth, before.hubEth + 3n * PER_TASK);
    const e = await fx.hub.call('dealEscrowOf', [dealId]);
    assert.equal(e.appOwner.toLowerCase(), appOwner.toLowerCase());
    assert.equal(e.appPrice, APP_PRICE);
    assert.equal(e.datasetOwner.toLowerCase(), datasetOwner.toLowerCase());
    assert.equal(e.datasetPrice, DATASET_PRICE);
    assert.equal((await fx.hub.call('deal', [dealId])).workerStakeRatioPercent, 30n);
    assert.deepEqual([...(await fx.hub.call('assetPricesOf', [app, dataset]))], [APP_PRICE, DATASET_PRICE]);
  });

  test('a short balance is refused with the amounts, and changes no balance', async () => {
    await fx.hub.send('deposit', [], { from: fx.requester, value: PER_TASK });
    const before = await snapshot();
    const args = await expectRevert(fx.createDeal({ app, dataset, botSize: 2n }, { value: PER_TASK - 1n }), 'InsufficientBalance');
    assert.deepEqual(args, [2n * PER_TASK, before.requester.free + PER_TASK - 1n]);
    assert.deepEqual(await snapshot(), before);
    // the free balance alone covers one task
    await fx.createDeal({ app, dataset, botSize: 1n }, { value: 0n });
    assert.equal(await fx.balance(fx.requester), before.requester.free - PER_TASK);
  });

  test('a withdrawal of more than the free balance is refused: frozen escrow cannot leave', async () => {
    await fx.createDeal({ app, dataset, botSize: 1n }, { value: PER_TASK });
    const before = await snapshot();
    assert.ok(before.requester.frozen >= PER_TASK);
    const args = await expectRevert(fx.hub.send('withdraw', [before.requester.free + 1n], { from: fx.requester }), 'InsufficientBalance');
    assert.deepEqual(args, [before.requester.free + 1n, before.requester.free]);
    assert.deepEqual(await snapshot(), before);
  });

  test('an unregistered app or dataset costs nothing; a price change after creation does not change the deal', async () => {
    const before = await snapshot();
    const { dealId } = await fx.createDeal({ botSize: 1n }, { value: PRICE });
    assert.equal((await snapshot()).requester.frozen, before.requester.frozen + PRICE);
    const e = await fx.hub.call('dealEscrowOf', [dealId]);
    assert.equal(e.appOwner, ZERO_ADDRESS);
    assert.equal(e.appPrice, 0n);

    const priced = await fx.createDeal({ app, botSize: 1n }, { value: APP_PRICE + PRICE });
    await fx.hub.send('updateApp', [app, IMAGE, 'policy', 5n * APP_PRICE], { from: appOwner });
    const w = fx.workers[5];
    const s0 = await snapshot([w]);
    await fx.finalize([await fx.taskResult({ dealId: priced.dealId, idx: 0n, workers: [w] })]);
    const s1 = await snapshot([w]);
    assert.equal(s1.appOwner.free - s0.appOwner.free, APP_PRICE, 'the price in force at creation');
    assert.equal(s0.requester.frozen - s1.requester.frozen, APP_PRICE + PRICE);
    await fx.hub.send('updateApp', [app, IMAGE, 'policy', APP_PRICE], { from: appOwner });
  });
});

describe('payouts', () => {
  test('finalized tasks pay the app owner, the dataset owner, the pool and the worker to the wei; a claimed task refunds its whole share', async () => {
    const [w0, w1] = fx.workers;
    const { dealId } = await fx.createDeal({ app, dataset, botSize: 3n, category: 0 }, { value: 3n * PER_TASK });
    const s0 = await snapshot([w0, w1]);
    await fx.finalize([
      await fx.taskResult({ dealId, idx: 0n, workers: [w0] }),
      await fx.taskResult({ dealId, idx: 1n, workers: [w1] }),
    ]);
    const s1 = await snapshot([w0, w1]);
    const workersReward = (PRICE * (100n - RATIO)) / 100n;
    assert.equal(s1.appOwner.free - s0.appOwner.free, 2n * APP_PRICE);
    assert.equal(s1.datasetOwner.free - s0.datasetOwner.free, 2n * DATASET_PRICE);
    assert.equal(s1.pool.free - s0.pool.free, 2n * (PRICE - workersReward));
    assert.equal(s1.w0.free - s0.w0.free, workersReward);
    assert.equal(s1.w1.free - s0.w1.free, workersReward);
    assert.equal(s0.requester.frozen - s1.requester.frozen, 2n * PER_TASK);
    assert.equal(s1.requester.free, s0.requester.free);
    assert.equal(s1.hubEth, s0.hubEth, 'payouts are credits: nothing leaves the hub');

    await fx.rpc.call('evm_increaseTime', [3001]);
    await fx.rpc.call('evm_mine', []);
    await fx.hub.send('claimBatch', [[dealId], [2n]], { from: fx.outsider });
    const s2 = await snapshot([w0, w1]);
    assert.equal(s2.requester.free - s1.requester.free, PER_TASK, 'the app, dataset and pool price come back');
    assert.equal(s1.requester.frozen - s2.requester.frozen, PER_TASK);
    for (const k of ['appOwner', 'datasetOwner', 'pool', 'w0', 'w1', 'outsider']) assert.deepEqual(s2[k], s1[k], k);
  });
});

describe('worker stakes', () => {
  test('the pool sets its stake ratio (owner only, at most 100); a deal keeps the ratio of its creation; re-registering keeps it', async () => {
    assert.equal(await fx.hub.call('workerStakeRatioOf', [fx.poolOwner]), 30n);
    await expectRevert(fx.hub.send('setWorkerStakeRatio', [10n], { from: fx.outsider }), 'UnknownPool');
    const args = await expectRevert(fx.hub.send('setWorkerStakeRatio', [101n], { from: fx.poolOwner }), 'InvalidStakeRatio');
    assert.deepEqual(args, [101n]);
    assert.equal(await fx.hub.call('workerStakeRatioOf', [fx.poolOwner]), 30n, 'a refused ratio changes nothing');
    const old = await fx.createDeal({ botSize: 1n }, { value: PRICE });
    const rc = await fx.hub.send('setWorkerStakeRatio', [50n], { from: fx.poolOwner });
    assert.equal(rc.events.find((e) => e.name === 'WorkerStakeRatioSet').args.workerStakeRatioPercent, 50n);
    await fx.hub.send('registerPool', [fx.scheduler, RATIO], { from: fx.poolOwner });
    assert.equal(await fx.hub.call('workerStakeRatioOf', [fx.poolOwner]), 50n);
    const fresh = await fx.createDeal({ botSize: 1n }, { value: PRICE });
    assert.equal((await fx.hub.call('deal', [old.dealId])).workerStakeRatioPercent, 30n);
    assert.equal((await fx.hub.call('deal', [fresh.dealId])).workerStakeRatioPercent, 50n);
    await fx.hub.send('setWorkerStakeRatio', [30n], { from: fx.poolOwner });
  });

  test('a loser loses the pool\'s stake ratio of the price; it joins the reward the winners share (PoCo); a short stake refuses the batch and changes nothing', async () => {
    await fx.hub.send('setWorkerStakeRatio', [50n], { from: fx.poolOwner });
    const { dealId } = await fx.createDeal({ app, dataset, botSize: 1n, trust: 3n }, { value: PER_TASK });
    await fx.hub.send('setWorkerStakeRatio', [30n], { from: fx.poolOwner });
    const stake = PRICE / 2n;
    const [a, b, c, d] = fx.workers.slice(2, 6);
    // three fresh agree (group 8; total 1 + 8 + the loser's 2 = 11: 24 > 22), d computed something else
    const r = await fx.taskResult({ dealId, idx: 0n, workers: [a, b, c, d], outputs: [undefined, undefined, undefined, 'wrong'], revealed: [true, true, true, false] });

    // d short of its stake: the whole batch is refused with the amounts, no balance moves
    const dFree = await fx.balance(d);
    await fx.hub.send('withdraw', [dFree - stake + 1n], { from: d });
    const s0 = await snapshot([a, b, c, d]);
    const args = await expectRevert(fx.finalize([r]), 'InsufficientStake');
    assert.deepEqual(args.slice(2), [stake, stake - 1n]);
    assert.deepEqual(await snapshot([a, b, c, d]), s0);

    await fx.hub.send('deposit', [], { from: d, value: 1n });
    const s1 = await snapshot([a, b, c, d]);
    await fx.finalize([r]);
    const s2 = await snapshot([a, b, c, d]);
    const workersReward = ((PRICE + stake) * (100n - RATIO)) / 100n;
    const share = workersReward / 3n;
    for (const k of ['w0', 'w1', 'w2']) assert.equal(s2[k].free - s1[k].free, share, k);
    assert.equal(s1.w3.free - s2.w3.free, stake, 'the loser loses its stake');
    assert.equal(s2.w3.frozen, 0n, 'stakes never stay frozen');
    assert.equal(s2.pool.free - s1.pool.free, PRICE + stake - 3n * share);
    assert.equal(s2.appOwner.free - s1.appOwner.free, APP_PRICE);
    assert.equal(s2.datasetOwner.free - s1.datasetOwner.free, DATASET_PRICE);
    assert.equal(s1.requester.frozen - s2.requester.frozen, PER_TASK);
    assert.equal(s2.hubEth, s1.hubEth);
  });

  test('a pool without stakes lets an empty account contribute', async () => {
    await fx.hub.send('setWorkerStakeRatio', [0n], { from: fx.poolOwner });
    const { dealId } = await fx.createDeal({ botSize: 1n, trust: 3n }, { value: PRICE });
    await fx.hub.send('setWorkerStakeRatio', [30n], { from: fx.poolOwner });
    const [x, y] = fx.anvil.accounts.slice(15, 17);
    assert.equal(await fx.balance(x), 0n);
    await fx.finalize([await fx.taskResult({ dealId, idx: 0n, workers: [x, y] })]);
    const share = ((PRICE * (100n - RATIO)) / 100n) / 2n;
    assert.deepEqual(await fx.balances([x, y]), [share, share]);
  });
});

describe('conservation', () => {
  test('the hub holds exactly every account\'s free and frozen balance', async () => {
    let sum = 0n;
    for (const a of fx.anvil.accounts) sum += (await fx.balance(a)) + (await frozen(a));
    assert.equal(await hubEth(), sum);
  });
});
