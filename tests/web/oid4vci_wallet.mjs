// A holder's wallet played by the OpenWallet Foundation's OpenID4VCI client (npm @openid4vc/openid4vci,
// @openid4vc/oauth2, @openid4vc/utils): it takes a credential offer (openid-credential-offer://...),
// reads the issuer's metadata (which tells it the OpenID4VCI version), exchanges the pre-authorized
// code for an access token, asks the nonce endpoint for a c_nonce, signs a JWT key proof with the
// holder's Ed25519 key (did:key, as `kid`) and requests the credential.
//
// Input (JSON on stdin):
//   {"offer": "openid-credential-offer://?credential_offer=...", "holderSeed": "<64 hex>"}
// Output (JSON on stdout):
//   {"holder": "did:key:...", "version": "V1", "configurationId": "...", "credentials": [...],
//    "tokenType": "Bearer"}
// On failure: exit code 1 and {"error": "...", "status": N, "body": {...}} on stdout.
import crypto from 'node:crypto';
import fs from 'node:fs';
import {Openid4vciClient} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {setGlobalConfig} from '@openid4vc/utils';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {SignJWT} from 'jose';

setGlobalConfig({allowInsecureUrls: true}); // the test server is http://127.0.0.1

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const seed = Uint8Array.from(Buffer.from(input.holderSeed, 'hex'));
const keyPair = await Ed25519Multikey.generate({seed});
const did = `did:key:${keyPair.publicKeyMultibase}`;
const didUrl = `${did}#${keyPair.publicKeyMultibase}`;
// The same Ed25519 key as a Node KeyObject (PKCS#8 DER: prefix + seed).
const privateKey = crypto.createPrivateKey({format: 'der', type: 'pkcs8',
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)])});
const publicJwk = crypto.createPublicKey(privateKey).export({format: 'jwk'});

const callbacks = {
  hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '')).update(data).digest()),
  generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
  clientAuthentication: clientAuthenticationAnonymous(),
  signJwt: async (signer, {header, payload}) => {
    if(signer.method !== 'did' || signer.didUrl !== didUrl) {
      throw new Error(`unexpected signer ${JSON.stringify(signer)}`);
    }
    const jwt = await new SignJWT(payload).setProtectedHeader(header).sign(privateKey);
    return {jwt, signerJwk: publicJwk};
  },
  fetch: globalThis.fetch
};

try {
  const client = new Openid4vciClient({callbacks});
  const offer = await client.resolveCredentialOffer(input.offer);
  const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer, issuerMetadata});
  const configurationId = offer.credential_configuration_ids[0];
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  const {jwt} = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: configurationId, nonce,
    signer: {method: 'did', didUrl, alg: 'EdDSA'}});
  const response = await client.retrieveCredentials({
    issuerMetadata, accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId, proofs: {jwt: [jwt]}});
  const body = response.credentialResponse;
  process.stdout.write(JSON.stringify({
    holder: did,
    version: issuerMetadata.originalDraftVersion,
    configurationId,
    tokenType: accessTokenResponse.token_type,
    credentials: (body.credentials || []).map((c) => c.credential)
  }));
} catch(error) {
  const response = error.response || error.errorResponse;
  process.stdout.write(JSON.stringify({
    error: String(error.message || error),
    status: response?.status ?? null,
    body: error.errorResponse ?? error.credentialResponseResult?.data ?? null
  }));
  process.exit(1);
}
