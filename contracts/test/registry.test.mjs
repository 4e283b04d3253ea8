// The app and dataset registry of OrchestratorHub on a real Anvil node: owners register and update
// their assets, every version is an event the orchestrator mirrors, only the owner adds versions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZERO_ADDRESS, expectRevert, keccak256, keccakText } from './helpers.mjs';
import { setup } from './fixture.mjs';

const IMAGE = '127.0.0.1:5000/hello@sha256:' + 'ab'.repeat(32);
const POLICY = 'tee=sgx;mrenclave=' + '11'.repeat(32) + ';signer=;tdx=;tcb=UpToDate;maxage=0;debug=0;simulated=1';

let fx;
before(async () => { fx = await setup({ accounts: 10, workers: 2, enclaves: 1, workerDeposit: 0n }); });
after(async () => { await fx?.stop(); });

/** keccak256("orchestrator.<kind>" ‖ owner ‖ keccak256(name)), last 20 bytes: the address the API derives too. */
function derived(kind, owner, name) {
  const bytes = Buffer.concat([
    Buffer.from(`orchestrator.${kind}`, 'ascii'),
    Buffer.from(owner.slice(2), 'hex'),
    Buffer.from(keccakText(name).slice(2), 'hex'),
  ]);
  return '0x' + keccak256(bytes).slice(-40);
}

describe('apps', () => {
  test('registerApp derives the address from owner and name, and each call adds a version event', async () => {
    const owner = fx.requester;
    const app = await fx.hub.call('appAddress', [owner, 'hello-tee']);
    assert.equal(app.toLowerCase(), derived('app', owner.toLowerCase(), 'hello-tee'));

    const first = await fx.hub.send('registerApp', ['hello-tee', IMAGE, POLICY, 7n], { from: owner });
    const e1 = first.events.find((e) => e.name === 'AppRegistered');
    assert.equal(e1.args.app.toLowerCase(), app.toLowerCase());
    assert.equal(e1.args.owner.toLowerCase(), owner.toLowerCase());
    assert.equal(e1.args.version, 1n);
    assert.equal(e1.args.image, IMAGE);
    assert.equal(e1.args.policy, POLICY);
    assert.equal(e1.args.price, 7n);

    const second = await fx.hub.send('updateApp', [app, IMAGE.replace('ab', 'cd'), POLICY, 8n], { from: owner });
    const e2 = second.events.find((e) => e.name === 'AppRegistered');
    assert.equal(e2.args.version, 2n);
    assert.equal(e2.args.name, 'hello-tee');
    const [stored, versions, name] = await fx.hub.call('appOf', [app]);
    assert.equal(stored.toLowerCase(), owner.toLowerCase());
    assert.equal(versions, 2n);
    assert.equal(name, 'hello-tee');
  });

  test('only the owner updates an app; the same name under another owner is another app', async () => {
    const app = await fx.hub.call('appAddress', [fx.requester, 'hello-tee']);
    await expectRevert(fx.hub.send('updateApp', [app, IMAGE, POLICY, 1n], { from: fx.outsider }), 'NotAssetOwner');
    await expectRevert(fx.hub.send('updateApp', [ZERO_ADDRESS, IMAGE, POLICY, 1n], { from: fx.outsider }), 'UnknownAsset');
    await expectRevert(fx.hub.send('registerApp', ['', IMAGE, POLICY, 1n], { from: fx.outsider }), 'InvalidName');
    const theirs = await fx.hub.send('registerApp', ['hello-tee', IMAGE, POLICY, 1n], { from: fx.outsider });
    const e = theirs.events.find((x) => x.name === 'AppRegistered');
    assert.notEqual(e.args.app.toLowerCase(), app.toLowerCase());
    assert.equal(e.args.version, 1n);
    const [, versions] = await fx.hub.call('appOf', [app]);
    assert.equal(versions, 2n); // the owner's app is untouched
  });
});

describe('datasets', () => {
  test('registerDataset emits its restrictions and versions', async () => {
    const owner = fx.poolOwner;
    const checksum = '0x' + '22'.repeat(32);
    const allowedApp = '0x' + 'a1'.repeat(20);
    const allowedRequester = fx.requester;
    const r1 = await fx.hub.send('registerDataset', ['census', checksum, 'https://data.example/census.enc', 5n, [allowedApp], [], [allowedRequester], []], { from: owner });
    const e1 = r1.events.find((e) => e.name === 'DatasetRegistered');
    assert.equal(e1.args.dataset.toLowerCase(), derived('dataset', owner.toLowerCase(), 'census'));
    assert.equal(e1.args.version, 1n);
    assert.equal(e1.args.checksum, checksum);
    assert.deepEqual(e1.args.apps.map((a) => a.toLowerCase()), [allowedApp]);
    assert.deepEqual(e1.args.requesters.map((a) => a.toLowerCase()), [allowedRequester.toLowerCase()]);
    assert.deepEqual([...e1.args.appOwners], []);

    const r2 = await fx.hub.send('registerDataset', ['census', checksum, 'https://data.example/census-2.enc', 6n, [], [], [], []], { from: owner });
    assert.equal(r2.events.find((e) => e.name === 'DatasetRegistered').args.version, 2n);
    const [stored, versions] = await fx.hub.call('datasetOf', [e1.args.dataset]);
    assert.equal(stored.toLowerCase(), owner.toLowerCase());
    assert.equal(versions, 2n);
  });
});
