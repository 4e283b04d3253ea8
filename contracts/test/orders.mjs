// PoCo v5 orders signed by ethers wallets (the library a requester's or owner's tooling would use), for the
// hub's matchOrders tests. The type strings are PoCo's; the domain is the hub's (read through EIP-5267).
import { HDNodeWallet, Mnemonic, TypedDataEncoder } from 'ethers';
import { ZERO32, ZERO_ADDRESS, word } from './helpers.mjs';

const MNEMONIC = 'test test test test test test test test test test test junk';

/** The ethers wallet of Anvil's account `index` (the same mnemonic Anvil funds). */
export function wallet(index) {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${index}`);
}

export const TYPES = {
  AppOrder: [
    { name: 'app', type: 'address' }, { name: 'appprice', type: 'uint256' }, { name: 'volume', type: 'uint256' },
    { name: 'tag', type: 'bytes32' }, { name: 'datasetrestrict', type: 'address' }, { name: 'workerpoolrestrict', type: 'address' },
    { name: 'requesterrestrict', type: 'address' }, { name: 'salt', type: 'bytes32' },
  ],
  DatasetOrder: [
    { name: 'dataset', type: 'address' }, { name: 'datasetprice', type: 'uint256' }, { name: 'volume', type: 'uint256' },
    { name: 'tag', type: 'bytes32' }, { name: 'apprestrict', type: 'address' }, { name: 'workerpoolrestrict', type: 'address' },
    { name: 'requesterrestrict', type: 'address' }, { name: 'salt', type: 'bytes32' },
  ],
  WorkerpoolOrder: [
    { name: 'workerpool', type: 'address' }, { name: 'workerpoolprice', type: 'uint256' }, { name: 'volume', type: 'uint256' },
    { name: 'tag', type: 'bytes32' }, { name: 'category', type: 'uint256' }, { name: 'trust', type: 'uint256' },
    { name: 'apprestrict', type: 'address' }, { name: 'datasetrestrict', type: 'address' }, { name: 'requesterrestrict', type: 'address' },
    { name: 'salt', type: 'bytes32' },
  ],
  RequestOrder: [
    { name: 'app', type: 'address' }, { name: 'appmaxprice', type: 'uint256' }, { name: 'dataset', type: 'address' },
    { name: 'datasetmaxprice', type: 'uint256' }, { name: 'workerpool', type: 'address' }, { name: 'workerpoolmaxprice', type: 'uint256' },
    { name: 'requester', type: 'address' }, { name: 'volume', type: 'uint256' }, { name: 'tag', type: 'bytes32' },
    { name: 'category', type: 'uint256' }, { name: 'trust', type: 'uint256' }, { name: 'beneficiary', type: 'address' },
    { name: 'callback', type: 'address' }, { name: 'params', type: 'string' }, { name: 'salt', type: 'bytes32' },
  ],
};

/** The hub's domain, as its eip712Domain() reports it. */
export async function domainOf(hub) {
  const [, name, version, chainId, verifyingContract] = await hub.call('eip712Domain', []);
  return { name, version, chainId, verifyingContract };
}

/** The order's EIP-712 digest: what is signed and the hub's consumed key. */
export const digestOf = (domain, kind, order) => TypedDataEncoder.hash(domain, { [kind]: TYPES[kind] }, strip(kind, order));

/** The order with `sign` set by `signer` (an ethers wallet) under `domain`. */
export async function signed(domain, kind, order, signer) {
  const sign = await signer.signTypedData(domain, { [kind]: TYPES[kind] }, strip(kind, order));
  return { ...order, sign };
}

function strip(kind, order) {
  const out = {};
  for (const f of TYPES[kind]) out[f.name] = order[f.name];
  return out;
}

let salts = 0n;
const nextSalt = () => word(++salts);

export const appOrder = (o) => ({
  app: ZERO_ADDRESS, appprice: 0n, volume: 1n, tag: ZERO32, datasetrestrict: ZERO_ADDRESS, workerpoolrestrict: ZERO_ADDRESS,
  requesterrestrict: ZERO_ADDRESS, salt: nextSalt(), sign: '0x', ...o,
});
export const datasetOrder = (o) => ({
  dataset: ZERO_ADDRESS, datasetprice: 0n, volume: 0n, tag: ZERO32, apprestrict: ZERO_ADDRESS, workerpoolrestrict: ZERO_ADDRESS,
  requesterrestrict: ZERO_ADDRESS, salt: ZERO32, sign: '0x', ...o,
});
export const workerpoolOrder = (o) => ({
  workerpool: ZERO_ADDRESS, workerpoolprice: 0n, volume: 1n, tag: ZERO32, category: 0n, trust: 0n, apprestrict: ZERO_ADDRESS,
  datasetrestrict: ZERO_ADDRESS, requesterrestrict: ZERO_ADDRESS, salt: nextSalt(), sign: '0x', ...o,
});
export const requestOrder = (o) => ({
  app: ZERO_ADDRESS, appmaxprice: 0n, dataset: ZERO_ADDRESS, datasetmaxprice: 0n, workerpool: ZERO_ADDRESS, workerpoolmaxprice: 0n,
  requester: ZERO_ADDRESS, volume: 1n, tag: ZERO32, category: 0n, trust: 0n, beneficiary: ZERO_ADDRESS, callback: ZERO_ADDRESS,
  params: '', salt: nextSalt(), sign: '0x', ...o,
});
