// A holder's wallet played by the reference JavaScript libraries (npm @digitalbazaar/vc 7,
// @digitalbazaar/data-integrity, @digitalbazaar/eddsa-rdfc-2022-cryptosuite, Ed25519 Multikey):
// it verifies each MedCred credential as a standard verifier would (the eddsa-rdfc-2022 signature;
// MedCred's anchor proof must be skipped), then signs a VerifiablePresentation around them with
// proofPurpose `authentication`, the verifier's challenge and domain, in JSON-LD safe mode.
//
// With "format": "jwt" the presentation is a VC-JWT presentation instead (VC 1.1 §6.3.1, signed
// with the npm `jose` library): the `vp` claim, `iss` the holder, `nonce` the challenge, `aud` the
// domain, EdDSA with the holder's Ed25519 key named by `kid`.
//
// Input (JSON on stdin):
//   {"credentials": [...], "challenge": "...", "domain": "...", "holderSeed": "<64 hex>", "format": "jwt"?, "expires": "<dateTime>"?,
//    "holder": "<optional DID to write as holder; default the key's did:key>",
//    "contexts": "<folder with index.json: URL -> bundled context file>"}
// Output (JSON on stdout):
//   {"presentation": {...} or "<VP-JWT>", "holder": "did:key:...", "credentialChecks": [{"verified": bool, "error": "..."}]}
//
// The document loader serves only the bundled contexts and did:key documents built from the key
// itself: nothing is fetched.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {SignJWT} from 'jose';

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const index = JSON.parse(fs.readFileSync(path.join(input.contexts, 'index.json'), 'utf8'));

async function didKeyDocument(did) {
  const multibase = did.slice('did:key:'.length);
  const key = await Ed25519Multikey.from({
    '@context': 'https://w3id.org/security/multikey/v1',
    type: 'Multikey',
    id: `${did}#${multibase}`,
    controller: did,
    publicKeyMultibase: multibase
  });
  const method = await key.export({publicKey: true, includeContext: false});
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [method],
    authentication: [method.id],
    assertionMethod: [method.id]
  };
}

async function documentLoader(url) {
  if(index[url]) {
    const document = JSON.parse(fs.readFileSync(path.join(input.contexts, index[url]), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  if(url === 'https://www.w3.org/ns/did/v1') {
    // Only the terms a did:key document uses (the DID core context is not bundled).
    const document = {'@context': {'@protected': true, id: '@id', type: '@type',
      verificationMethod: {'@id': 'https://w3id.org/security#verificationMethod', '@type': '@id'},
      authentication: {'@id': 'https://w3id.org/security#authenticationMethod', '@type': '@id',
        '@container': '@set'},
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

const seed = Uint8Array.from(Buffer.from(input.holderSeed, 'hex'));
const keyPair = await Ed25519Multikey.generate({seed});
const did = `did:key:${keyPair.publicKeyMultibase}`;
keyPair.controller = did;
keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;

const credentialChecks = [];
for(const credential of input.credentials) {
  const result = await vc.verifyCredential({
    credential,
    suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    documentLoader
  });
  credentialChecks.push({
    verified: result.verified,
    proofs: (result.results || []).length,
    error: result.error ? String(result.error.message || result.error) : null
  });
}

const presentation = vc.createPresentation({verifiableCredential: input.credentials,
  holder: input.holder || did});
let signed;
if(input.format === 'jwt') {
  // The same Ed25519 key, from the same seed, as a Node KeyObject (PKCS#8 DER: prefix + seed).
  const key = crypto.createPrivateKey({format: 'der', type: 'pkcs8',
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)])});
  signed = await new SignJWT({vp: presentation, nonce: input.challenge})
    .setProtectedHeader({alg: 'EdDSA', typ: 'JWT', kid: keyPair.id})
    .setIssuer(input.holder || did)
    .setAudience(input.domain)
    .setIssuedAt()
    .sign(key);
} else {
  const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite: eddsaRdfc2022});
  if(input.expires) {
    suite.proof = {expires: input.expires}; // copied into the proof it creates
  }
  signed = await vc.signPresentation({presentation, suite, challenge: input.challenge,
    domain: input.domain, documentLoader});
}

process.stdout.write(JSON.stringify({presentation: signed, holder: did, credentialChecks}));
