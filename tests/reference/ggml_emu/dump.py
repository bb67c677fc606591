import sys, json, numpy as np
import os
# gguf-py from the llama.cpp source that tests/peers/fetch_vocab_tests.sh unpacks
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../.cache/peers/llama.cpp-src/gguf-py'))
from gguf import GGUFReader
r = GGUFReader(sys.argv[1]); out = sys.argv[2]
import os; os.makedirs(out, exist_ok=True)
meta = {}
for k, f in r.fields.items():
    if k.startswith('llama.') or k.startswith('general.arch'):
        try: meta[k] = f.contents()
        except Exception: pass
info = {}
for t in r.tensors:
    a = np.asarray(t.data)
    a.tofile(os.path.join(out, t.name + '.bin'))
    info[t.name] = {'type': t.tensor_type.name, 'shape': [int(x) for x in t.shape], 'nbytes': int(a.nbytes)}
json.dump({'meta': meta, 'tensors': info}, open(os.path.join(out, 'info.json'), 'w'), indent=1, default=str)
print(json.dumps(meta, default=str))
print(list(info.items())[:4])
