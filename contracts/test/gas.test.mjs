// Gas per finalized task for batch sizes 1, 10 and 100 on Anvil. Prints a table (and writes
// contracts/out/gas-report.json); asserts only that every batch succeeds, never a speed.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { outDir, word } from './helpers.mjs';
import { setup } from './fixture.mjs';
import { appOrder, datasetOrder, domainOf, requestOrder, signed, wallet, workerpoolOrder } from './orders.mjs';

// PoCo reference (DESIGN.md section 6, solc 0.8.21 averages): initialize + contribute + reveal +
// finalize for a single-worker task, one transaction per step.
const POCO_SINGLE_WORKER = 1_060_000;
const POCO_TEE_FAST_PATH = 870_000;
// initialize 226k + 3 × contribute 347k + 3 × reveal 79k + finalize 404k
const POCO_THREE_WORKERS = 226_000 + 3 * 347_000 + 3 * 79_000 + 404_000;
// initialize + 4 × contribute + 3 × reveal + finalize
const POCO_FOUR_WORKERS = 226_000 + 4 * 347_000 + 3 * 79_000 + 404_000;

const WORKERS = 100;
// Priced app and dataset (their owners are paid per finalized task), registered in before().
const APP_PRICE = 3n * 10n ** 14n;
const DATASET_PRICE = 2n * 10n ** 14n;
let fx;
let pricedApp;
let pricedDataset;
const rows = [];

before(async () => {
  fx = await setup({ accounts: 6 + WORKERS + 4, workers: WORKERS, enclaves: 4 });
  // Warm-up outside the table: the pool owner's balance slot is created by its first credit.
  const { dealId } = await fx.createDeal();
  await fx.finalize([await fx.taskResult({ dealId, idx: 0n, workers: [fx.workers[WORKERS - 1]] })]);
  const [appOwner, datasetOwner] = [fx.outsider, fx.deployer];
  const a = await fx.hub.send('registerApp', ['gas-app', 'registry.example/a@sha256:' + 'ab'.repeat(32), 'policy', APP_PRICE], { from: appOwner });
  pricedApp = a.events.find((e) => e.name === 'AppRegistered').args.app;
  const d = await fx.hub.send('registerDataset', ['gas-data', word(1), 'https://data.example/d', DATASET_PRICE, [], [], [], []], { from: datasetOwner });
  pricedDataset = d.events.find((e) => e.name === 'DatasetRegistered').args.dataset;
  // Their owners' balance slots exist before the table, as the pool owner's does.
  await fx.hub.send('deposit', [], { from: appOwner, value: 1n });
  await fx.hub.send('deposit', [], { from: datasetOwner, value: 1n });
});
after(async () => {
  await fx?.stop();
  if (rows.length === 0) return;
  const lines = [
    'gas per finalized task (receipt gasUsed / tasks, 21k intrinsic included; "vs PoCo" against DESIGN.md §6: 1,060k single-worker, 1,908k three workers, 2,255k four workers, 870k TEE fast path, one tx per step)',
    `${'scenario'.padEnd(52)} ${'batch'.padStart(5)} ${'total gas'.padStart(11)} ${'gas/task'.padStart(9)} ${'vs PoCo'.padStart(8)}`,
  ];
  for (const r of rows) {
    lines.push(`${r.scenario.padEnd(52)} ${String(r.batch).padStart(5)} ${String(r.gas).padStart(11)} ${String(r.perTask).padStart(9)} ${(r.reference ? `1/${(r.reference / r.perTask).toFixed(1)}` : '-').padStart(8)}`);
  }
  console.log(lines.join('\n'));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gas-report.json'), JSON.stringify({ pocoReference: { singleWorker: POCO_SINGLE_WORKER, teeFastPath: POCO_TEE_FAST_PATH }, rows }, null, 2) + '\n');
});

async function measure(scenario, batch, { trust = 1n, tag = word(0), workersFor, outputsFor, revealedFor, enclaves = false, reference = POCO_SINGLE_WORKER, callback, callbackDataFor, paid = false }) {
  const assets = paid ? { app: pricedApp, dataset: pricedDataset } : {};
  const value = BigInt(batch) * (fx.params().taskPrice + (paid ? APP_PRICE + DATASET_PRICE : 0n));
  const { dealId } = await fx.createDeal({ botSize: BigInt(batch), trust, tag, ...assets, ...(callback ? { callback } : {}) }, { value });
  const results = [];
  for (let i = 0; i < batch; i++) {
    const ws = workersFor(i);
    results.push(await fx.taskResult({
      dealId, idx: BigInt(i), workers: ws, outputs: outputsFor?.(i), revealed: revealedFor?.(i), enclaves: enclaves ? ws.map((_, k) => fx.enclaves[(i + k) % fx.enclaves.length]) : undefined,
      callbackData: callbackDataFor?.(i),
    }));
  }
  const receipt = await fx.finalize(results);
  assert.equal(fx.finalized(receipt).length, batch);
  const gas = Number(receipt.gasUsedN);
  rows.push({ scenario, batch, gas, perTask: Math.round(gas / batch), reference });
}

for (const batch of [1, 10, 100]) {
  test(`trust 1, one worker per task, 10 workers rotating: batch ${batch}`, async () => {
    await measure('trust 1, 1 worker/task, 10 workers rotating', batch, { workersFor: (i) => [fx.workers[i % 10]] });
  });
}
for (const batch of [1, 10, 100]) {
  test(`trust 1, one worker per task, a different worker each task: batch ${batch}`, async () => {
    // workers 10.. have never been paid in this run: every account slot is cold
    const base = batch === 1 ? 10 : batch === 10 ? 11 : 0;
    await measure('trust 1, 1 worker/task, distinct workers', batch, { workersFor: (i) => [fx.workers[(base + i) % WORKERS]] });
  });
}
for (const batch of [1, 10, 100]) {
  test(`trust 3, three agreeing workers per task: batch ${batch}`, async () => {
    await measure('trust 3, 3 workers/task (all agree)', batch, {
      trust: 3n, workersFor: (i) => [fx.workers[(3 * i) % 30], fx.workers[(3 * i + 1) % 30], fx.workers[(3 * i + 2) % 30]],
      reference: POCO_THREE_WORKERS,
    });
  });
}
for (const batch of [1, 10, 100]) {
  test(`trust 3, four workers per task, one wrong: batch ${batch}`, async () => {
    // 3 fresh agree (group 8), 1 wrong (2): total 11, 24 > 22; the wrong one loses stake and score
    await measure('trust 3, 4 workers/task (3 agree, 1 wrong)', batch, {
      trust: 3n,
      workersFor: (i) => [0, 1, 2, 3].map((k) => fx.workers[30 + ((4 * i + k) % 40)]),
      outputsFor: () => [undefined, 'wrong', undefined, undefined],
      revealedFor: () => [true, false, true, true],
      reference: POCO_FOUR_WORKERS,
    });
  });
}
for (const batch of [1, 10, 100]) {
  test(`TEE fast path (tag 0x3, trust 0): batch ${batch}`, async () => {
    await measure('TEE fast path, 1 enclave-signed worker/task', batch, {
      tag: word(0x3), trust: 0n, enclaves: true, workersFor: (i) => [fx.workers[i % 10]], reference: POCO_TEE_FAST_PATH,
    });
  });
}

for (const batch of [1, 10, 100]) {
  test(`trust 1, one worker per task, app and dataset owners paid: batch ${batch}`, async () => {
    await measure('trust 1, 1 worker/task, app + dataset paid', batch, { paid: true, workersFor: (i) => [fx.workers[i % 10]] });
  });
}
for (const batch of [1, 10, 100]) {
  test(`trust 3, four workers per task, one wrong, app and dataset owners paid: batch ${batch}`, async () => {
    await measure('trust 3, 4 workers/task (1 wrong), app + dataset paid', batch, {
      paid: true,
      trust: 3n,
      workersFor: (i) => [0, 1, 2, 3].map((k) => fx.workers[30 + ((4 * i + k) % 40)]),
      outputsFor: () => [undefined, 'wrong', undefined, undefined],
      revealedFor: () => [true, false, true, true],
      reference: POCO_FOUR_WORKERS,
    });
  });
}

for (const batch of [1, 10]) {
  test(`trust 1 with a callback recording 32 bytes per task: batch ${batch}`, async () => {
    const recorder = await fx.deployReceiver('RecordingReceiver');
    await measure('trust 1, callback storing 32 bytes/task', batch, {
      callback: recorder.address, workersFor: (i) => [fx.workers[i % 10]], callbackDataFor: (i) => word(i + 1),
    });
  });
}

test('createDeal and claimBatch costs', async () => {
  const { receipt } = await fx.createDeal({ botSize: 100n, category: 0 });
  rows.push({ scenario: 'createDeal (any botSize)', batch: 1, gas: Number(receipt.gasUsedN), perTask: Number(receipt.gasUsedN), reference: null });
  const paid = await fx.createDeal({ botSize: 100n, category: 0, app: pricedApp, dataset: pricedDataset }, { value: 100n * (fx.params().taskPrice + APP_PRICE + DATASET_PRICE) });
  rows.push({ scenario: 'createDeal, app + dataset priced', batch: 1, gas: Number(paid.receipt.gasUsedN), perTask: Number(paid.receipt.gasUsedN), reference: null });
  const { dealId } = await fx.createDeal({ botSize: 100n, category: 0 });
  await fx.rpc.call('evm_increaseTime', [3001]);
  await fx.rpc.call('evm_mine', []);
  const idxs = Array.from({ length: 100 }, (_, i) => BigInt(i));
  const rc = await fx.hub.send('claimBatch', [idxs.map(() => dealId), idxs], { from: fx.outsider });
  rows.push({ scenario: 'claimBatch (refund after final deadline)', batch: 100, gas: Number(rc.gasUsedN), perTask: Math.round(Number(rc.gasUsedN) / 100), reference: null });
});

test('matchOrders cost: a deal from four signed orders', async () => {
  // Anvil's accounts as the fixture gives them roles: 0 deployer (the dataset's owner here), 1 requester, 2 pool, 4 outsider (the app's owner).
  const [datasetOwner, requester, pool, appOwner] = [wallet(0), wallet(1), wallet(2), wallet(4)];
  assert.deepEqual([datasetOwner, requester, pool, appOwner].map((w) => w.address.toLowerCase()),
    [fx.deployer, fx.requester, fx.poolOwner, fx.outsider].map((a) => a.toLowerCase()));
  const domain = await domainOf(fx.hub);
  const price = fx.params().taskPrice;
  const o = [
    await signed(domain, 'AppOrder', appOrder({ app: pricedApp, appprice: APP_PRICE, volume: 100n }), appOwner),
    await signed(domain, 'DatasetOrder', datasetOrder({ dataset: pricedDataset, datasetprice: DATASET_PRICE, volume: 100n, salt: word(77n) }), datasetOwner),
    await signed(domain, 'WorkerpoolOrder', workerpoolOrder({ workerpool: fx.poolOwner, workerpoolprice: price, volume: 100n, trust: 1n }), pool),
    await signed(domain, 'RequestOrder', requestOrder({
      app: pricedApp, appmaxprice: APP_PRICE, dataset: pricedDataset, datasetmaxprice: DATASET_PRICE, workerpool: fx.poolOwner, workerpoolmaxprice: price,
      requester: fx.requester, volume: 10n, trust: 1n, beneficiary: fx.requester, params: '{"args":"--n 1"}',
    }), requester),
  ];
  await fx.hub.send('deposit', [], { from: fx.requester, value: 10n * (price + APP_PRICE + DATASET_PRICE) });
  const rc = await fx.hub.send('matchOrders', o, { from: fx.scheduler });
  rows.push({ scenario: 'matchOrders, 4 orders, app + dataset priced', batch: 1, gas: Number(rc.gasUsedN), perTask: Number(rc.gasUsedN), reference: null });
});
