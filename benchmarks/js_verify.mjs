// The reference JavaScript verifier over a JSONL file of credentials, for benchmarks/bench_verify.py:
// @digitalbazaar/vc 7 `verifyCredential` with the eddsa-rdfc-2022 cryptosuite (jsonld.js in safe
// mode, rdf-canonize), did:key documents built from the key, contexts from schemas/contexts. It checks
// what a standard verifier checks: the signature, its purpose and key, validity dates. It cannot
// check MedCred's anchor (no chain, no registry), so its figure is for less work than MedCred's.
//
//   node benchmarks/js_verify.mjs CREDENTIALS.jsonl [LIMIT]
// Prints one JSON line: {"credentials": N, "verified": V, "seconds": S, "perSecond": R}
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {fileURLToPath} from 'node:url';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const contexts = path.join(root, 'schemas', 'contexts');
const index = JSON.parse(fs.readFileSync(path.join(contexts, 'index.json'), 'utf8'));
const parsed = new Map();
const didDocuments = new Map();

const DID_CONTEXT = {'@context': {'@protected': true, id: '@id', type: '@type',
  verificationMethod: {'@id': 'https://w3id.org/security#verificationMethod', '@type': '@id'},
  authentication: {'@id': 'https://w3id.org/security#authenticationMethod', '@type': '@id',
    '@container': '@set'},
  assertionMethod: {'@id': 'https://w3id.org/security#assertionMethod', '@type': '@id',
    '@container': '@set'}}};

async function didKeyDocument(did) {
  if(!didDocuments.has(did)) {
    const multibase = did.slice('did:key:'.length);
    const key = await Ed25519Multikey.from({'@context': 'https://w3id.org/security/multikey/v1',
      type: 'Multikey', id: `${did}#${multibase}`, controller: did, publicKeyMultibase: multibase});
    const method = await key.export({publicKey: true, includeContext: false});
    didDocuments.set(did, {'@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: did, verificationMethod: [method], authentication: [method.id], assertionMethod: [method.id]});
  }
  return didDocuments.get(did);
}

async function documentLoader(url) {
  if(index[url]) {
    if(!parsed.has(url)) {
      parsed.set(url, JSON.parse(fs.readFileSync(path.join(contexts, index[url]), 'utf8')));
    }
    return {contextUrl: null, documentUrl: url, document: parsed.get(url)};
  }
  if(url === 'https://www.w3.org/ns/did/v1') {
    return {contextUrl: null, documentUrl: url, document: DID_CONTEXT};
  }
  if(url.startsWith('did:key:')) {
    const [did, fragment] = url.split('#');
    const document = await didKeyDocument(did);
    if(fragment) {
      const method = document.verificationMethod.find(m => m.id === url);
      return {contextUrl: null, documentUrl: url,
        document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}};
    }
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`document not bundled: ${url}`);
}

const [file, limitText] = process.argv.slice(2);
const limit = limitText ? Number(limitText) : Infinity;
const credentials = [];
for await (const line of readline.createInterface({input: fs.createReadStream(file)})) {
  if(line.trim()) {
    credentials.push(JSON.parse(line));
  }
  if(credentials.length >= limit) {
    break;
  }
}
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
let verified = 0;
let firstError = null;
const started = process.hrtime.bigint();
for(const credential of credentials) {
  const result = await vc.verifyCredential({credential, suite, documentLoader});
  if(result.verified) {
    verified += 1;
  } else if(!firstError) {
    firstError = String(result.error?.message || result.error);
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({credentials: credentials.length, verified, seconds,
  perSecond: credentials.length / seconds, firstError}));
