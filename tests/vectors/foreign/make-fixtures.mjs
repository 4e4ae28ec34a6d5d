// Credentials signed by INDEPENDENT implementations, for MedCred's verifier tests.
//
// The reference JavaScript libraries (npm, pinned in package.json) sign here; MedCred's Python
// verifier must accept what they sign. Nothing in this script uses MedCred code: only the bundled
// context files (schemas/contexts, the published texts) are read, as the JSON-LD document loader.
//
//   node tests/vectors/foreign/make-fixtures.mjs      (from the repository root; rewrites fixtures.json)
//
// Keys are derived from fixed seeds, so a re-run gives the same keys (signatures of the
// non-deterministic ECDSA keys and the `created` times change; the committed file is what tests use).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as rdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createSignCryptosuite as jcs2022} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import * as jose from 'jose';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const contextsDir = path.join(root, 'schemas', 'contexts');
const index = JSON.parse(fs.readFileSync(path.join(contextsDir, 'index.json'), 'utf8'));

const seed = label => new Uint8Array(crypto.createHash('sha256').update('medcred-fixture:' + label).digest());
const b64url = bytes => Buffer.from(bytes).toString('base64url');

const didDocuments = {};

const documentLoader = async url => {
  if(index[url]) {
    return {contextUrl: null, documentUrl: url,
      document: JSON.parse(fs.readFileSync(path.join(contextsDir, index[url]), 'utf8'))};
  }
  const did = url.split('#')[0];
  if(didDocuments[did]) {
    const doc = didDocuments[did];
    if(url.includes('#')) {
      const vm = doc.verificationMethod.find(m => m.id === url);
      return {contextUrl: null, documentUrl: url, document: {'@context': doc['@context'], ...vm}};
    }
    return {contextUrl: null, documentUrl: url, document: doc};
  }
  throw new Error('not bundled: ' + url);
};

// ------------------------------------------------------------------ keys and DID documents

// did:key issuer (Ed25519 Multikey).
const didKeyPair = await Ed25519Multikey.generate({seed: seed('did-key')});
const didKey = 'did:key:' + didKeyPair.publicKeyMultibase;
didKeyPair.controller = didKey;
didKeyPair.id = `${didKey}#${didKeyPair.publicKeyMultibase}`;
didDocuments[didKey] = {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
  id: didKey,
  verificationMethod: [{id: didKeyPair.id, type: 'Multikey', controller: didKey,
    publicKeyMultibase: didKeyPair.publicKeyMultibase}],
  assertionMethod: [didKeyPair.id], authentication: [didKeyPair.id],
};

// did:web issuer whose keys are given as JsonWebKey2020 (OKP Ed25519, EC P-256) and as
// Ed25519VerificationKey2020.
const webDid = 'did:web:badges.example.org';
const jwkEdPair = await Ed25519Multikey.generate({seed: seed('did-web-okp'), controller: webDid,
  id: `${webDid}#key-okp`});
const okpJwk = await Ed25519Multikey.toJwk({keyPair: jwkEdPair});
const p256 = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
const p256Jwk = p256.publicKey.export({format: 'jwk'});
const key2020 = await Ed25519VerificationKey2020.generate({seed: seed('did-web-2020'), controller: webDid,
  id: `${webDid}#key-2020`});
didDocuments[webDid] = {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1',
    'https://w3id.org/security/suites/ed25519-2020/v1'],
  id: webDid,
  verificationMethod: [
    {id: `${webDid}#key-okp`, type: 'JsonWebKey2020', controller: webDid,
      publicKeyJwk: {kty: okpJwk.kty, crv: okpJwk.crv, x: okpJwk.x}},
    {id: `${webDid}#key-p256`, type: 'JsonWebKey2020', controller: webDid,
      publicKeyJwk: {kty: 'EC', crv: 'P-256', x: p256Jwk.x, y: p256Jwk.y}},
    {id: `${webDid}#key-2020`, type: 'Ed25519VerificationKey2020', controller: webDid,
      publicKeyMultibase: key2020.publicKeyMultibase},
  ],
  assertionMethod: [`${webDid}#key-okp`, `${webDid}#key-p256`, `${webDid}#key-2020`],
  authentication: [`${webDid}#key-okp`],
};

// ------------------------------------------------------------------ credentials

function openBadge({id, issuer, contexts, v1 = false, extra = {}}) {
  const credential = {
    '@context': contexts,
    id,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: issuer, type: ['Profile'], name: 'Example School of Nursing'},
    name: 'Basic Life Support Provider',
    credentialSubject: {
      type: ['AchievementSubject'],
      name: 'Ada Example',
      identifier: [{type: 'IdentityObject', identityHash:
        'sha256$' + crypto.createHash('sha256').update('ada@example.org' + 'pepper').digest('hex'),
        identityType: 'emailAddress', hashed: true, salt: 'pepper'}],
      achievement: {
        id: 'https://badges.example.org/achievements/bls',
        type: ['Achievement'],
        achievementType: 'Certificate',
        name: 'Basic Life Support',
        description: 'Adult and paediatric basic life support, including AED use.',
        criteria: {narrative: 'Passed the practical and written assessments.'},
      },
    },
    ...extra,
  };
  if(v1) {
    credential.issuanceDate = '2025-03-01T09:00:00Z';
    credential.expirationDate = '2035-03-01T09:00:00Z';
  } else {
    credential.validFrom = '2025-03-01T09:00:00Z';
    credential.validUntil = '2035-03-01T09:00:00Z';
  }
  return credential;
}

const V2 = 'https://www.w3.org/ns/credentials/v2';
const V1 = 'https://www.w3.org/2018/credentials/v1';
const OB = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const OB_EXT = 'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json';
const ED2020 = 'https://w3id.org/security/suites/ed25519-2020/v1';

const fixtures = {};
const date = new Date('2025-03-01T09:00:00Z');

const sign = async (name, credential, suite) => {
  fixtures[name] = await vc.issue({credential, suite, documentLoader, now: date});
};

await sign('eddsa-rdfc-2022_did-key', openBadge({id: 'urn:uuid:9f3c0c3e-0001-4c1a-8f50-1d8a7c5e0001',
  issuer: didKey, contexts: [V2, OB]}),
new DataIntegrityProof({signer: didKeyPair.signer(), date, cryptosuite: rdfc2022}));

await sign('eddsa-jcs-2022_did-key', openBadge({id: 'urn:uuid:9f3c0c3e-0002-4c1a-8f50-1d8a7c5e0002',
  issuer: didKey, contexts: [V2, OB]}),
new DataIntegrityProof({signer: didKeyPair.signer(), date, cryptosuite: jcs2022()}));

// Credly-style: 1EdTech's extensions context, a 1EdTechJsonSchemaValidator2019 schema reference.
await sign('eddsa-rdfc-2022_ob-extensions', openBadge({id: 'urn:uuid:9f3c0c3e-0003-4c1a-8f50-1d8a7c5e0003',
  issuer: didKey, contexts: [V2, OB, OB_EXT], extra: {credentialSchema: [{
    id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json',
    type: '1EdTechJsonSchemaValidator2019'}]}}),
new DataIntegrityProof({signer: didKeyPair.signer(), date, cryptosuite: rdfc2022}));

// A description pasted from a PDF: U+000C (form feed) and other control characters, which
// RDFC-1.0 escapes as \f and \uXXXX.
const pasted = openBadge({id: 'urn:uuid:9f3c0c3e-0011-4c1a-8f50-1d8a7c5e0011', issuer: didKey, contexts: [V2, OB]});
pasted.credentialSubject.achievement.description =
  'Adult basic life support.\u000cPage 2\u0000\u0007 of the handbook\u007f \u0085 (pasted from a PDF)';
await sign('eddsa-rdfc-2022_control-characters', pasted,
  new DataIntegrityProof({signer: didKeyPair.signer(), date, cryptosuite: rdfc2022}));

await sign('eddsa-rdfc-2022_did-web-jwk', openBadge({id: 'urn:uuid:9f3c0c3e-0004-4c1a-8f50-1d8a7c5e0004',
  issuer: webDid, contexts: [V2, OB]}),
new DataIntegrityProof({signer: jwkEdPair.signer(), date, cryptosuite: rdfc2022}));

// The Digital Credentials Consortium's long-standing format: VC 1.1 + Ed25519Signature2020.
const didKey2020 = await Ed25519VerificationKey2020.generate({seed: seed('did-key')});
didKey2020.controller = didKey;
didKey2020.id = `${didKey}#${didKey2020.fingerprint()}`;
await sign('ed25519-signature-2020_did-key', openBadge({id: 'urn:uuid:9f3c0c3e-0005-4c1a-8f50-1d8a7c5e0005',
  issuer: didKey, contexts: [V1, OB, ED2020], v1: true}),
new Ed25519Signature2020({key: didKey2020, date}));

await sign('ed25519-signature-2020_did-web', openBadge({id: 'urn:uuid:9f3c0c3e-0006-4c1a-8f50-1d8a7c5e0006',
  issuer: webDid, contexts: [V1, OB, ED2020], v1: true}),
new Ed25519Signature2020({key: key2020, date}));

// VC-JWT. VC 2.0 (VC-JOSE-COSE): the credential is the JWT payload, typ vc+jwt.
const edPrivate = await jose.importJWK({...okpJwk, d: b64url(seed('did-web-okp'))}, 'EdDSA');
const p256Private = p256.privateKey;
const unsecuredJwtVc = openBadge({id: 'urn:uuid:9f3c0c3e-0007-4c1a-8f50-1d8a7c5e0007', issuer: webDid,
  contexts: [V2, OB]});
fixtures['vc-jwt_eddsa_vc2'] = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(unsecuredJwtVc)))
  .setProtectedHeader({alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: `${webDid}#key-okp`})
  .sign(edPrivate);
const unsecuredJwtVc2 = openBadge({id: 'urn:uuid:9f3c0c3e-0008-4c1a-8f50-1d8a7c5e0008', issuer: webDid,
  contexts: [V2, OB]});
fixtures['vc-jwt_es256_vc2'] = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(unsecuredJwtVc2)))
  .setProtectedHeader({alg: 'ES256', typ: 'vc+jwt', kid: `${webDid}#key-p256`})
  .sign(p256Private);
// VC 1.1 JWT encoding (Open Badges 3.0 section 8.2): registered claims + the `vc` claim.
const unsecuredJwtVc3 = openBadge({id: 'urn:uuid:9f3c0c3e-0009-4c1a-8f50-1d8a7c5e0009', issuer: webDid,
  contexts: [V2, OB]});
fixtures['vc-jwt_es256_vc-claim'] = await new jose.SignJWT({vc: unsecuredJwtVc3})
  .setProtectedHeader({alg: 'ES256', typ: 'JWT', kid: `${webDid}#key-p256`})
  .setIssuer(webDid).setJti(unsecuredJwtVc3.id).setNotBefore(Date.parse(unsecuredJwtVc3.validFrom) / 1000)
  .setExpirationTime(Date.parse(unsecuredJwtVc3.validUntil) / 1000).setIssuedAt(date.getTime() / 1000)
  .sign(p256Private);
const unsecuredJwtVc4 = openBadge({id: 'urn:uuid:9f3c0c3e-0010-4c1a-8f50-1d8a7c5e0010', issuer: didKey,
  contexts: [V2, OB]});
fixtures['vc-jwt_eddsa_did-key'] = await new jose.SignJWT({vc: unsecuredJwtVc4})
  .setProtectedHeader({alg: 'EdDSA', typ: 'JWT', kid: didKeyPair.id})
  .setIssuer(didKey).setJti(unsecuredJwtVc4.id).setNotBefore(Date.parse(unsecuredJwtVc4.validFrom) / 1000)
  .sign(await jose.importJWK({...(await Ed25519Multikey.toJwk({keyPair: didKeyPair})),
    d: b64url(seed('did-key'))}, 'EdDSA'));

const out = {
  description: 'Credentials signed by the reference JavaScript libraries (@digitalbazaar/vc 7.3.0 with ' +
    'eddsa-rdfc-2022-cryptosuite 1.3.0, eddsa-jcs-2022-cryptosuite 1.0.0, ed25519-signature-2020 5.4.0; ' +
    'jose 6.2.17 for VC-JWT) by make-fixtures.mjs beside this file. didDocuments are the DID documents ' +
    'of the issuers (did:web documents as a did:web folder would hold them).',
  didDocuments,
  credentials: fixtures,
};
fs.writeFileSync(path.join(here, 'fixtures.json'), JSON.stringify(out, null, 1) + '\n');
console.log('wrote', Object.keys(fixtures).length, 'credentials');
