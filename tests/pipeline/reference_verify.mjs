// A standard Data Integrity verifier played by the reference JavaScript libraries (npm
// @digitalbazaar/vc 7, @digitalbazaar/data-integrity, the eddsa-rdfc-2022 and eddsa-jcs-2022
// cryptosuites, Ed25519 Multikey): it checks each credential's Data Integrity proof as any VC 2.0
// verifier does, knowing nothing of MedCred (its anchor proof is a proof type it does not know).
//
// Input (JSON on stdin):  {"credentials": [...], "contexts": "<folder with index.json: URL -> file>"}
// Output (JSON on stdout): [{"verified": bool, "proofs": n, "error": "..."|null}, ...]
//
// The document loader serves only the bundled contexts and did:key documents built from the key
// itself: nothing is fetched.
import fs from 'node:fs';
import path from 'node:path';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createVerifyCryptosuite as eddsaJcs2022} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const index = JSON.parse(fs.readFileSync(path.join(input.contexts, 'index.json'), 'utf8'));

async function didKeyDocument(did) {
  const multibase = did.slice('did:key:'.length);
  const key = await Ed25519Multikey.from({
    '@context': 'https://w3id.org/security/multikey/v1', type: 'Multikey',
    id: `${did}#${multibase}`, controller: did, publicKeyMultibase: multibase
  });
  const method = await key.export({publicKey: true, includeContext: false});
  return {'@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did, verificationMethod: [method], assertionMethod: [method.id]};
}

async function documentLoader(url) {
  if(index[url] && !url.includes('/examples/')) {
    const document = JSON.parse(fs.readFileSync(path.join(input.contexts, index[url]), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  if(url === 'https://www.w3.org/ns/did/v1') {  // the terms a did:key document uses
    const document = {'@context': {'@protected': true, id: '@id', type: '@type',
      verificationMethod: {'@id': 'https://w3id.org/security#verificationMethod', '@type': '@id'},
      assertionMethod: {'@id': 'https://w3id.org/security#assertionMethod', '@type': '@id',
        '@container': '@set'}}};
    return {contextUrl: null, documentUrl: url, document};
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

const suite = [
  new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
  new DataIntegrityProof({cryptosuite: eddsaJcs2022()})
];
const results = [];
for(const credential of input.credentials) {
  try {
    // The status list lives on the issuer's server: revocation is MedCred's verifier's check
    // (tests/pipeline/test_status_list_check.py); here only the Data Integrity proof counts.
    const result = await vc.verifyCredential({credential, suite, documentLoader,
      checkStatus: async () => ({verified: true})});
    results.push({verified: result.verified, proofs: (result.results || []).length,
      error: result.error ? String(result.error.message || result.error) : null});
  } catch(e) {
    results.push({verified: false, proofs: 0, error: String(e && e.message || e)});
  }
}
process.stdout.write(JSON.stringify(results));
