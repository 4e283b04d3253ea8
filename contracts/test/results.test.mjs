// Where a task's result is, on chain: the result pointer in TasksFinalized, and PoCo-style callbacks
// (receiveResult on the deal's callback contract, capped gas, a failing callback never reverts the batch).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZERO_ADDRESS, expectRevert, keccak256, hexToBytes, taskIdOf, toHex } from './helpers.mjs';
import { RESULT_BASE, WORKERS_REWARD, setup } from './fixture.mjs';

const COMPLETED = 3n;

let fx;
let recorder;
let reverter;
let burner;
before(async () => {
  fx = await setup({ accounts: 20, workers: 6, enclaves: 2 });
  recorder = await fx.deployReceiver('RecordingReceiver');
  reverter = await fx.deployReceiver('RevertingReceiver');
  burner = await fx.deployReceiver('GasBurningReceiver');
});
after(async () => { await fx?.stop(); });

const callbackData = (text) => toHex(Buffer.from(text, 'utf8'));

describe('result pointer', () => {
  test('every run\'s TasksFinalized names the batch\'s result base; the location is <base>/v1/tasks/<taskId>/result', async () => {
    const a = await fx.createDeal({ botSize: 2n });
    const b = await fx.createDeal();
    const w = fx.workers[0];
    const results = [
      await fx.taskResult({ dealId: a.dealId, idx: 0n, workers: [w] }),
      await fx.taskResult({ dealId: b.dealId, idx: 0n, workers: [w] }),
      await fx.taskResult({ dealId: a.dealId, idx: 1n, workers: [w] }),
    ];
    const receipt = await fx.finalize(results);
    const logs = receipt.events.filter((e) => e.name === 'TasksFinalized');
    assert.equal(logs.length, 3);
    for (const log of logs) assert.equal(log.args.resultBase, RESULT_BASE);
    const found = fx.finalized(receipt);
    assert.deepEqual(found.map((t) => t.resultDigest), results.map((r) => r.resultDigest));
    // what a requester watching the chain computes for task a/1
    const location = `${found[2].resultBase}/v1/tasks/${found[2].taskId}/result`;
    assert.equal(location, `${RESULT_BASE}/v1/tasks/${taskIdOf(a.dealId, 1n)}/result`);
  });

  test('an empty base is allowed (no public API); a base over MAX_RESULT_BASE bytes is refused', async () => {
    const { dealId } = await fx.createDeal();
    const r = await fx.taskResult({ dealId, idx: 0n, workers: [fx.workers[1]] });
    const max = Number(await fx.hub.call('MAX_RESULT_BASE'));
    const args = await expectRevert(fx.finalize([r], fx.scheduler, { resultBase: 'h'.repeat(max + 1) }), 'ResultBaseTooLong');
    assert.equal(args[0], BigInt(max + 1));
    const receipt = await fx.finalize([r], fx.scheduler, { resultBase: '' });
    assert.equal(fx.finalized(receipt)[0].resultBase, '');
  });
});

describe('callbacks', () => {
  test('the callback is bound by the deal id (a 13th word only when set) and stored with the deal', async () => {
    const { dealId, params, event } = await fx.createDeal({ callback: recorder.address });
    assert.equal(dealId, fx.expectedDealId(fx.requester, params).dealId);
    const [, computed] = await fx.hub.call('computeDealId', [fx.requester, params]);
    assert.equal(computed, dealId);
    // the same terms without the callback are another deal (and keep the pre-callback id rule)
    const [, without] = await fx.hub.call('computeDealId', [fx.requester, { ...params, callback: ZERO_ADDRESS }]);
    assert.notEqual(without, dealId);
    assert.equal(without, fx.expectedDealId(fx.requester, { ...params, callback: ZERO_ADDRESS }).dealId);
    assert.equal(event.args.callback.toLowerCase(), recorder.address.toLowerCase());
    const d = await fx.hub.call('deal', [dealId]);
    assert.equal(d.hasCallback, true);
    assert.equal(d.callback.toLowerCase(), recorder.address.toLowerCase());
    const plain = await fx.hub.call('deal', [(await fx.createDeal()).dealId]);
    assert.equal(plain.hasCallback, false);
    assert.equal(plain.callback, ZERO_ADDRESS);
  });

  test('a recording callback receives (taskId, callbackData) of each task after it is final and paid', async () => {
    const { dealId } = await fx.createDeal({ callback: recorder.address, botSize: 2n });
    const w = fx.workers[2];
    const before = await fx.balance(w);
    const start = await recorder.call('count');
    const results = [
      await fx.taskResult({ dealId, idx: 0n, workers: [w], callbackData: callbackData('price=42') }),
      await fx.taskResult({ dealId, idx: 1n, workers: [w], callbackData: '0x' }),
    ];
    assert.equal(results[0].resultDigest, keccak256(hexToBytes(callbackData('price=42'))));
    const receipt = await fx.finalize(results);
    assert.equal(await fx.balance(w), before + 2n * WORKERS_REWARD);
    assert.equal(await fx.hub.call('taskStatusOf', [dealId, 0n]), COMPLETED);
    const calls = receipt.events.filter((e) => e.name === 'CallbackCalled');
    assert.deepEqual(calls.map((c) => [c.args.taskId, c.args.callback.toLowerCase(), c.args.success]), [
      [taskIdOf(dealId, 0n), recorder.address.toLowerCase(), true],
      [taskIdOf(dealId, 1n), recorder.address.toLowerCase(), true],
    ]);
    // the callbacks follow the run's log
    const names = receipt.events.map((e) => e.name);
    assert.ok(names.indexOf('TasksFinalized') < names.indexOf('CallbackCalled'));
    assert.equal(await recorder.call('count'), start + 2n);
    const [hub, taskId, data] = await recorder.call('received', [start]);
    assert.equal(hub.toLowerCase(), fx.hub.address.toLowerCase());
    assert.equal(taskId, taskIdOf(dealId, 0n));
    assert.equal(data, callbackData('price=42'));
    const [, , empty] = await recorder.call('received', [start + 1n]);
    assert.equal(empty, '0x');
  });

  test('a reverting callback and one that burns all its gas never revert the batch; the outcome is logged', async () => {
    const rev = await fx.createDeal({ callback: reverter.address });
    const burn = await fx.createDeal({ callback: burner.address });
    const plain = await fx.createDeal();
    const w = fx.workers[3];
    const receipt = await fx.finalize([
      await fx.taskResult({ dealId: rev.dealId, idx: 0n, workers: [w], callbackData: callbackData('a') }),
      await fx.taskResult({ dealId: burn.dealId, idx: 0n, workers: [w], callbackData: callbackData('b') }),
      await fx.taskResult({ dealId: plain.dealId, idx: 0n, workers: [w] }),
    ], fx.scheduler, { gas: 2_000_000n });
    const calls = receipt.events.filter((e) => e.name === 'CallbackCalled');
    assert.deepEqual(calls.map((c) => [c.args.taskId, c.args.success]), [[taskIdOf(rev.dealId, 0n), false], [taskIdOf(burn.dealId, 0n), false]]);
    for (const d of [rev, burn, plain]) assert.equal(await fx.hub.call('taskStatusOf', [d.dealId, 0n]), COMPLETED);
    // the burner got exactly the cap, no more: the whole batch stays near the cap plus the tasks
    // (three runs of one task each, ~72k a run with its escrow release: far below a second cap)
    const cap = await fx.hub.call('CALLBACK_GAS');
    assert.ok(receipt.gasUsedN > cap && receipt.gasUsedN < cap + 250_000n, `gas used ${receipt.gasUsedN}`);
    assert.equal(await burner.call('counter'), 0n, 'its writes were undone');
  });

  test('a transaction without the callback\'s gas reverts (CallbackGasTooLow) instead of starving the callback', async () => {
    const { dealId } = await fx.createDeal({ callback: recorder.address });
    const r = await fx.taskResult({ dealId, idx: 0n, workers: [fx.workers[4]], callbackData: callbackData('x') });
    await expectRevert(fx.finalize([r], fx.scheduler, { gas: 200_000n }), 'CallbackGasTooLow');
    assert.equal(await fx.hub.call('isFinal', [dealId, 0n]), false, 'nothing kept');
    await fx.finalize([r]);
  });

  test('callback data must match the digest, be present exactly on callback deals and fit the cap', async () => {
    const { dealId } = await fx.createDeal({ callback: recorder.address });
    const w = fx.workers[5];
    const good = await fx.taskResult({ dealId, idx: 0n, workers: [w], callbackData: callbackData('good') });
    const { callbackData: _, ...missing } = good;
    await expectRevert(fx.finalize([missing]), 'MissingCallbackData');
    const args = await expectRevert(fx.finalize([{ ...good, callbackData: callbackData('other') }]), 'BadCallbackData');
    assert.equal(args[1], good.resultDigest);
    assert.equal(args[2], keccak256(Buffer.from('other', 'utf8')));
    const max = Number(await fx.hub.call('MAX_CALLBACK_DATA'));
    const long = await fx.taskResult({ dealId, idx: 0n, workers: [w], callbackData: toHex(Buffer.alloc(max + 1, 1)) });
    await expectRevert(fx.finalize([long]), 'CallbackDataTooLong');
    const plain = await fx.createDeal();
    const extra = await fx.taskResult({ dealId: plain.dealId, idx: 0n, workers: [w], callbackData: callbackData('no callback here') });
    await expectRevert(fx.finalize([extra]), 'UnexpectedCallbackData');
    const atMax = await fx.taskResult({ dealId, idx: 0n, workers: [w], callbackData: toHex(Buffer.alloc(max, 7)) });
    await fx.finalize([atMax]);
  });
});
