// matchOrders on a real Anvil node with orders signed by ethers wallets: a match creates the deal through
// createDeal's path (same DealCreated log), consumes every order's volume and follows PoCo's deal id rule; every
// broken rule is refused with its named error and leaves balances and consumed volumes as they were.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZERO32, ZERO_ADDRESS, expectRevert, keccak256, packed, word } from './helpers.mjs';
import { ETHER, PRICE, setup } from './fixture.mjs';
import { appOrder, datasetOrder, digestOf, domainOf, requestOrder, signed, wallet, workerpoolOrder } from './orders.mjs';

const APP_PRICE = 3n;
const DATASET_PRICE = 5n;
const [APP, DATASET, WORKERPOOL, REQUEST] = [0n, 1n, 2n, 3n];

let fx;
let domain;
let app;
let dataset;
const keys = {};

before(async () => {
  fx = await setup({ accounts: 12, workers: 2, enclaves: 1, workerDeposit: 0n });
  const acc = fx.anvil.accounts;
  keys.requester = wallet(1);
  keys.pool = wallet(2);
  keys.outsider = wallet(4);
  keys.appOwner = wallet(10);
  keys.datasetOwner = wallet(11);
  assert.equal(keys.requester.address.toLowerCase(), fx.requester.toLowerCase());
  assert.equal(keys.appOwner.address.toLowerCase(), acc[10].toLowerCase());
  const ra = await fx.hub.send('registerApp', ['hello', 'img@sha256:' + 'ab'.repeat(32), 'policy', APP_PRICE], { from: acc[10] });
  app = ra.events.find((e) => e.name === 'AppRegistered').args.app;
  const rd = await fx.hub.send('registerDataset', ['census', ZERO32.replace(/0$/, '1'), 'https://d', DATASET_PRICE, [], [], [], []], { from: acc[11] });
  dataset = rd.events.find((e) => e.name === 'DatasetRegistered').args.dataset;
  await fx.hub.send('deposit', [], { from: fx.requester, value: ETHER });
  domain = await domainOf(fx.hub);
});
after(async () => { await fx?.stop(); });

/** Four orders that match (volumes app 10, dataset 10, pool 10, request 4), each signed by its owner unless told otherwise. */
async function orders({ a = {}, d = {}, w = {}, r = {}, signers = {}, domains = {}, noDataset = false } = {}) {
  const ao = appOrder({ app, appprice: APP_PRICE, volume: 10n, ...a });
  const dso = noDataset ? datasetOrder({}) : datasetOrder({ dataset, datasetprice: DATASET_PRICE, volume: 10n, salt: word(BigInt(Date.now())), ...d });
  const wo = workerpoolOrder({ workerpool: fx.poolOwner, workerpoolprice: PRICE, volume: 10n, category: 0n, trust: 1n, ...w });
  const ro = requestOrder({
    app, appmaxprice: APP_PRICE, dataset: noDataset ? ZERO_ADDRESS : dataset, datasetmaxprice: DATASET_PRICE, workerpool: fx.poolOwner,
    workerpoolmaxprice: PRICE, requester: fx.requester, volume: 4n, category: 0n, trust: 1n, beneficiary: fx.requester,
    params: '{"args":"--n 1"}', ...r,
  });
  return [
    await signed(domains.a ?? domain, 'AppOrder', ao, signers.a ?? keys.appOwner),
    noDataset ? dso : await signed(domains.d ?? domain, 'DatasetOrder', dso, signers.d ?? keys.datasetOwner),
    await signed(domains.w ?? domain, 'WorkerpoolOrder', wo, signers.w ?? keys.pool),
    await signed(domains.r ?? domain, 'RequestOrder', ro, signers.r ?? keys.requester),
  ];
}

const match = (o, from = fx.outsider) => fx.hub.send('matchOrders', o, { from });
const digests = (o) => [
  digestOf(domain, 'AppOrder', o[0]), digestOf(domain, 'DatasetOrder', o[1]), digestOf(domain, 'WorkerpoolOrder', o[2]), digestOf(domain, 'RequestOrder', o[3]),
];

/** Every balance and consumed count a refused match must leave alone. */
async function snapshot(o) {
  const consumed = [];
  for (const h of digests(o)) consumed.push(await fx.hub.call('consumedOf', [h]));
  return { consumed, balances: await fx.balances([fx.requester, fx.poolOwner, fx.outsider]) };
}

describe('EIP-712 domain (EIP-5267)', () => {
  test('eip712Domain names the hub, its chain and the four fields wallets sign under', async () => {
    const [fields, name, version, chainId, verifyingContract, salt, extensions] = await fx.hub.call('eip712Domain', []);
    assert.equal(BigInt(fields), 0x0fn << 248n); // bytes1 0x0f: name, version, chainId and verifyingContract are set
    assert.equal(name, 'OrchestratorHub');
    assert.equal(version, '1');
    assert.equal(chainId, 31337n);
    assert.equal(verifyingContract.toLowerCase(), fx.hub.address.toLowerCase());
    assert.equal(salt, ZERO32);
    assert.deepEqual(extensions, []);
  });
});

describe('matchOrders', () => {
  test('a match creates the deal through createDeal\'s path with PoCo\'s id, consumes every order and debits the requester', async (t) => {
    const o = await orders();
    const [ah, dh, wh, rh] = digests(o);
    const before = await fx.balance(fx.requester);
    const receipt = await match(o);
    t.diagnostic(`matchOrders gas (four orders, a dataset): ${receipt.gasUsedN}`);
    const created = receipt.events.find((e) => e.name === 'DealCreated');
    const matched = receipt.events.find((e) => e.name === 'OrdersMatched');
    const dealId = keccak256(packed(['bytes32', rh], ['uint256', 0n]));
    assert.equal(created.args.dealId, dealId);
    assert.equal(created.args.requester.toLowerCase(), fx.requester.toLowerCase());
    assert.equal(created.args.pool.toLowerCase(), fx.poolOwner.toLowerCase());
    assert.equal(created.args.app.toLowerCase(), app.toLowerCase());
    assert.equal(created.args.dataset.toLowerCase(), dataset.toLowerCase());
    assert.equal(created.args.botFirst, 0n);
    assert.equal(created.args.botSize, 4n);
    assert.equal(created.args.taskPrice, PRICE);
    assert.equal(created.args.params, '{"args":"--n 1"}');
    assert.deepEqual([matched.args.appHash, matched.args.datasetHash, matched.args.workerpoolHash, matched.args.requestHash], [ah, dh, wh, rh]);
    for (const h of [ah, dh, wh, rh]) assert.equal(await fx.hub.call('consumedOf', [h]), 4n);
    assert.equal((await fx.hub.call('deal', [dealId])).botSize, 4n);
    // The escrow (issue 16's payments): app, dataset and pool price per task move from free to frozen.
    const perTask = PRICE + o[0].appprice + o[1].datasetprice;
    assert.equal(await fx.balance(fx.requester), before - 4n * perTask);
    assert.equal(await fx.hub.call('frozenOf', [fx.requester]) >= 4n * perTask, true);
  });

  test('the deal takes the smallest remaining volume and the next deal of the request starts where it stopped', async () => {
    const [a, d, w, r] = await orders({ w: { volume: 3n }, r: { volume: 5n } });
    const rh = digestOf(domain, 'RequestOrder', r);
    const first = (await match([a, d, w, r])).events.find((e) => e.name === 'DealCreated');
    assert.equal(first.args.botSize, 3n);
    const [, , w2] = await orders({ w: { volume: 10n } });
    const second = (await match([a, d, w2, r])).events.find((e) => e.name === 'DealCreated');
    assert.equal(second.args.botFirst, 3n);
    assert.equal(second.args.botSize, 2n);
    assert.equal(second.args.dealId, keccak256(packed(['bytes32', rh], ['uint256', 3n])));
    await expectRevert(match([a, d, w2, r]), 'VolumeExhausted'); // the request is spent: a replay is refused
  });

  test('a matched deal runs like any other: the scheduler finalizes its tasks and the requester\'s debit pays the pool and the worker', async () => {
    const worker = fx.workers[0];
    await fx.hub.send('deposit', [], { from: worker, value: ETHER }); // the stake a non-TEE contributor must hold
    const o = await orders({ r: { volume: 2n } });
    const created = (await match(o)).events.find((e) => e.name === 'DealCreated');
    const dealId = created.args.dealId;
    const who = [fx.requester, fx.poolOwner, worker];
    const [requester0, pool0, worker0] = await fx.balances(who);
    const results = [];
    for (const idx of [0n, 1n]) results.push(await fx.taskResult({ dealId, idx, workers: [worker] }));
    const receipt = await fx.finalize(results);
    assert.equal(fx.finalized(receipt).length, 2);
    const [requester1, pool1, worker1] = await fx.balances(who);
    assert.equal(requester1, requester0); // paid at the match, nothing more
    assert.equal(pool1 - pool0 + (worker1 - worker0), 2n * PRICE); // exactly what the match debited
    assert.ok(worker1 > worker0);
  });

  test('a request without a dataset matches with the empty dataset order', async (t) => {
    const o = await orders({ noDataset: true });
    const receipt = await match(o);
    t.diagnostic(`matchOrders gas (no dataset): ${receipt.gasUsedN}`);
    const created = receipt.events.find((e) => e.name === 'DealCreated');
    assert.equal(created.args.dataset, ZERO_ADDRESS);
  });
});

describe('refusals: the rule named, balances and volumes unchanged', () => {
  const other = '0x' + '77'.repeat(20);
  const table = [
    ['wrong signer', () => orders({ signers: { r: wallet(4) } }), 'BadOrderSignature', [REQUEST]],
    ['pool order signed by someone else', () => orders({ signers: { w: wallet(4) } }), 'BadOrderSignature', [WORKERPOOL]],
    ['wrong chain id in the domain', () => orders({ domains: { a: { ...domain, chainId: 1n } } }), 'BadOrderSignature', [APP]],
    ['wrong verifying contract', () => orders({ domains: { d: { ...domain, verifyingContract: other } } }), 'BadOrderSignature', [DATASET]],
    ['pool price above the max', () => orders({ r: { workerpoolmaxprice: PRICE - 1n } }), 'PriceAboveMax', [WORKERPOOL, PRICE, PRICE - 1n]],
    ['app price above the max', () => orders({ r: { appmaxprice: APP_PRICE - 1n } }), 'PriceAboveMax', [APP, APP_PRICE, APP_PRICE - 1n]],
    ['tag the pool does not offer', () => orders({ a: { tag: word(3n) }, r: { tag: word(3n) } }), 'TagNotOffered', [word(3n), ZERO32]],
    ['TEE deal with a non-TEE app', () => orders({ w: { tag: word(3n) }, r: { tag: word(3n) } }), 'TeeAppRequired', [ZERO32]],
    ['trust above the pool\'s', () => orders({ r: { trust: 5n } }), 'TrustAboveOffer', [5n, 1n]],
    ['category mismatch', () => orders({ r: { category: 1n } }), 'CategoryMismatch', [1n, 0n]],
    ['unknown category', () => orders({ r: { category: 7n }, w: { category: 7n } }), 'UnknownCategory', [7n]],
    ['another app than the order sells', () => orders({ r: { app: other } }), 'AssetMismatch', [APP]],
    ['pool restricts the requester', () => orders({ w: { requesterrestrict: other } }), 'Restricted', [WORKERPOOL, other, null]],
    ['app restricts the pool', () => orders({ a: { workerpoolrestrict: other } }), 'Restricted', [APP, other, null]],
    ['dataset restricts the app', () => orders({ d: { apprestrict: other } }), 'Restricted', [DATASET, other, null]],
    ['request names another pool', () => orders({ r: { workerpool: other } }), 'Restricted', [REQUEST, other, null]],
    ['unregistered app', () => orders({ a: { app: other }, r: { app: other } }), 'UnknownAsset', [other]],
  ];
  for (const [name, make, error, args] of table) {
    test(name, async () => {
      const o = await make();
      const before = await snapshot(o);
      const got = await expectRevert(match(o), error);
      args.forEach((v, i) => {
        if (v === null) return;
        const g = got[i];
        assert.equal(typeof g === 'string' ? g.toLowerCase() : g, typeof v === 'string' ? v.toLowerCase() : v, `${error} argument ${i}`);
      });
      assert.deepEqual(await snapshot(o), before);
    });
  }

  test('a cancelled order cannot be matched, and only its signer cancels it', async () => {
    const o = await orders();
    const wh = digestOf(domain, 'WorkerpoolOrder', o[2]);
    await expectRevert(fx.hub.send('cancelWorkerpoolOrder', [o[2]], { from: fx.outsider }), 'NotOrderSigner');
    assert.equal(await fx.hub.call('consumedOf', [wh]), 0n);
    await fx.hub.send('cancelWorkerpoolOrder', [o[2]], { from: fx.poolOwner });
    assert.equal(await fx.hub.call('consumedOf', [wh]), 10n);
    const before = await snapshot(o);
    const [party, hash] = await expectRevert(match(o), 'VolumeExhausted');
    assert.equal(party, WORKERPOOL);
    assert.equal(hash, wh);
    assert.deepEqual(await snapshot(o), before);
  });

  test('a replayed match and an exhausted order are refused, balances and volumes unchanged', async () => {
    const o = await orders({ w: { volume: 2n }, r: { volume: 2n } });
    await match(o);
    const replayed = await snapshot(o);
    await expectRevert(match(o), 'VolumeExhausted'); // the same four orders again
    assert.deepEqual(await snapshot(o), replayed);
    const [, , , fresh] = await orders(); // a new request against the spent pool order
    const o2 = [o[0], o[1], o[2], fresh];
    const before = await snapshot(o2);
    const [party, hash] = await expectRevert(match(o2), 'VolumeExhausted');
    assert.equal(party, WORKERPOOL);
    assert.equal(hash, digestOf(domain, 'WorkerpoolOrder', o[2]));
    assert.deepEqual(await snapshot(o2), before);
  });

  test('a requester without the escrow is refused and nothing is consumed', async () => {
    const o = await orders({ r: { volume: 2000n }, w: { volume: 2000n }, a: { volume: 2000n }, d: { volume: 2000n } });
    const before = await snapshot(o);
    await expectRevert(match(o), 'InsufficientBalance');
    assert.deepEqual(await snapshot(o), before);
  });
});
