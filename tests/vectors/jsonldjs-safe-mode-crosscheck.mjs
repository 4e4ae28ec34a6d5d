import jsonld from 'jsonld';
import fs from 'fs';
const dir='/work/main/schemas/contexts/';
const idx=JSON.parse(fs.readFileSync(dir+'index.json'));
const loader = async (url) => { if(!idx[url]) throw new Error('no '+url); return {contextUrl:null, documentUrl:url, document: JSON.parse(fs.readFileSync(dir+idx[url]))}; };
const {good,bad}=JSON.parse(fs.readFileSync('docs.json'));
const cases=[];
for (const d of [...good,...bad]) {
  try { cases.push({document:d, nquads: await jsonld.canonize(d,{algorithm:'URDNA2015',format:'application/n-quads',documentLoader:loader,safe:true})}); }
  catch(e) { cases.push({document:d, safeModeError: e.details?.event?.code||e.message}); }
}
fs.writeFileSync('/work/main/tests/vectors/jsonldjs-safe-mode-crosscheck.json', JSON.stringify({description:"Documents canonicalized by jsonld.js 9.0.0 (npm, the library behind the reference JavaScript verifiers) with canonize({algorithm:'URDNA2015', safe:true}) and a loader over schemas/contexts, run once in a scratch directory outside the repository. nquads is its output; safeModeError is the safe-mode event code it refused the document with. MedCred's canonicalizer must give the same bytes, or refuse the same documents.", cases}, null, 1));
