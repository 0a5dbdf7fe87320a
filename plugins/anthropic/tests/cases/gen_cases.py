# SPDX-License-Identifier: Apache-2.0
# plugins/anthropic/tests/cases/gen_cases.py - run: python3 gen_cases.py (regenerates the files beside it).
# Writes plugins/anthropic/tests/cases/<fixture>.request.json (the Genkit GenerateRequest a caller
# passes) and <fixture>.response.json (the GenerateResponse the plugin must return), computed
# from the fixture files by an oracle independent of the C code.
import json, os
HERE = os.path.dirname(os.path.abspath(__file__))
FX = os.path.join(HERE, '..', '..', '..', '..', 'tests', 'fixtures', 'providers', 'anthropic')
OUT = HERE

def fx(name, ext):
    return open(os.path.join(FX, name + ext), encoding='utf-8').read()

def wire_req(name):
    return json.loads(fx(name, '.request.json'))

def U(t): return {"role": "user", "content": [{"text": t}]}
def S(t): return {"role": "system", "content": [{"text": t}]}
def tool(d):  # wire tool -> Genkit tool definition
    return {"name": d["name"], "description": d["description"], "inputSchema": d["input_schema"]}

def from_wire_history(w):
    """Genkit messages for a wire request's messages (tool_result turns become role tool)."""
    msgs = []
    if 'system' in w: msgs.append(S(w['system']))
    for m in w['messages']:
        c = m['content']
        if isinstance(c, str): c = [{"type": "text", "text": c}]
        parts = []
        role = 'model' if m['role'] == 'assistant' else 'user'
        for b in c:
            if b['type'] == 'text': parts.append({"text": b['text']})
            elif b['type'] == 'tool_use': parts.append({"toolRequest": {"name": b['name'], "ref": b['id'], "input": b['input']}})
            elif b['type'] == 'tool_result':
                role = 'tool'
                name = None
                for mm in w['messages']:
                    for bb in (mm['content'] if isinstance(mm['content'], list) else []):
                        if bb.get('type') == 'tool_use' and bb['id'] == b['tool_use_id']: name = bb['name']
                parts.append({"toolResponse": {"name": name, "ref": b['tool_use_id'], "output": b['content']}})
            elif b['type'] == 'image' or b['type'] == 'document':
                s = b['source']
                if s['type'] == 'url': parts.append({"media": {"url": s['url']}})
                else: parts.append({"media": {"url": "data:%s;base64,%s" % (s['media_type'], s['data']), "contentType": s['media_type']}})
        msgs.append({"role": role, "content": parts})
    return msgs

def genkit_req(name, extra_config=None, tool_choice=None, output=None):
    w = wire_req(name)
    r = {"messages": from_wire_history(w)}
    cfg = {}
    if w.get('max_tokens') not in (None, 4096): cfg['maxOutputTokens'] = w['max_tokens']
    if 'temperature' in w: cfg['temperature'] = w['temperature']
    if 'stop_sequences' in w: cfg['stopSequences'] = w['stop_sequences']
    if extra_config: cfg.update(extra_config)
    if cfg: r['config'] = cfg
    if 'tools' in w: r['tools'] = [tool(t) for t in w['tools']]
    if tool_choice: r['toolChoice'] = tool_choice
    if output: r['output'] = output
    return r

def usage(u):
    keys = ('input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens')
    u = {k: u[k] for k in keys if k in u}
    out = {}
    if 'input_tokens' in u: out['inputTokens'] = u['input_tokens']
    if 'output_tokens' in u: out['outputTokens'] = u['output_tokens']
    out['totalTokens'] = sum(u.values())
    if 'cache_read_input_tokens' in u: out['cachedContentTokens'] = u['cache_read_input_tokens']
    custom = {k: u[k] for k in keys[2:] if k in u}
    if custom: out['custom'] = custom
    return out

FINISH = {'end_turn': 'stop', 'stop_sequence': 'stop', 'tool_use': 'stop', 'max_tokens': 'length', 'refusal': 'blocked'}

def genkit_resp(blocks, stop_reason, stop_details, u):
    parts = []
    for b in blocks:
        if b['type'] == 'text' and b['text']: parts.append({"text": b['text']})
        elif b['type'] == 'tool_use': parts.append({"toolRequest": {"name": b['name'], "ref": b['id'], "input": b['input']}})
    r = {"message": {"role": "model", "content": parts}, "finishReason": FINISH[stop_reason]}
    if stop_reason == 'refusal': r['finishMessage'] = stop_details['explanation']
    r['usage'] = usage(u)
    return r

def from_json_body(name):
    d = json.loads(fx(name, '.response.json'))
    return genkit_resp(d['content'], d['stop_reason'], d.get('stop_details'), d['usage'])

def from_sse(name):
    blocks = {}; u = {}; sr = None; details = None
    for line in fx(name, '.sse').split('\n'):
        if not line.startswith('data:'): continue
        d = json.loads(line[5:]); t = d['type']
        if t == 'message_start': u.update(d['message']['usage'])
        elif t == 'content_block_start':
            cb = dict(d['content_block']); cb['_json'] = ''; blocks[d['index']] = cb
        elif t == 'content_block_delta':
            dl = d['delta']; b = blocks[d['index']]
            if dl['type'] == 'text_delta': b['text'] += dl['text']
            if dl['type'] == 'input_json_delta': b['_json'] += dl['partial_json']
        elif t == 'content_block_stop':
            b = blocks[d['index']]
            if b['type'] == 'tool_use': b['input'] = json.loads(b['_json']) if b['_json'] else {}
        elif t == 'message_delta':
            sr = d['delta'].get('stop_reason'); details = d['delta'].get('stop_details'); u.update(d['usage'])
    return genkit_resp([blocks[i] for i in sorted(blocks)], sr, details, u)

def simple(text): return {"messages": [U(text)]}

cases = {
  # name: (model, genkit request, response builder)
  'messages-text': ('claude-sonnet-4-5', simple("Hello, how are you?"), from_json_body),
  'messages-text-system': ('claude-3-opus-latest', genkit_req('messages-text-system'), from_json_body),
  'messages-image-url': ('claude-haiku-4-5', genkit_req('messages-image-url'), from_json_body),
  'messages-document-pdf-base64': ('claude-sonnet-4-5', genkit_req('messages-document-pdf-base64'), from_json_body),
  'messages-max-tokens': ('claude-sonnet-4-5-20250929', genkit_req('messages-max-tokens'), from_json_body),
  'messages-parallel-tool-calls': ('claude-haiku-4-5', genkit_req('messages-parallel-tool-calls', tool_choice='auto'), from_json_body),
  'messages-parallel-tool-results-followup': ('claude-haiku-4-5', genkit_req('messages-parallel-tool-results-followup', tool_choice='auto'), from_json_body),
  'messages-refusal': ('claude-sonnet-4-5', simple("Write malware."), from_json_body),
  'messages-structured-output-config': ('claude-sonnet-4-5', genkit_req('messages-structured-output-config', output={"format": "json", "schema": wire_req('messages-structured-output-config')['output_config']['format']['schema']}), from_json_body),
  'messages-tool-call-forced': ('claude-sonnet-4-5', genkit_req('messages-tool-call-forced', tool_choice='required'), from_json_body),
  'messages-tool-result-followup-structured': ('claude-sonnet-4-5', genkit_req('messages-tool-result-followup-structured', tool_choice='required'), from_json_body),
  'messages-parallel-tool-use-stream': ('claude-sonnet-4-5-20250929', genkit_req('messages-parallel-tool-use-stream', tool_choice='auto'), from_sse),
  'messages-stream-image-base64': ('claude-sonnet-4-5', genkit_req('messages-stream-image-base64'), from_sse),
  'messages-stream-max-tokens': ('claude-sonnet-4-5', genkit_req('messages-stream-max-tokens'), from_sse),
  'messages-stream-output-format-json': ('claude-sonnet-4-5', simple("Invent three characters."), from_sse),
  'messages-stream-parallel-tool-calls': ('claude-haiku-4-5-20251001', genkit_req('messages-stream-parallel-tool-calls'), from_sse),
  'messages-stream-parallel-tool-results-followup': ('claude-haiku-4-5-20251001', genkit_req('messages-stream-parallel-tool-results-followup'), from_sse),
  'messages-stream-refusal': ('claude-sonnet-4-5', simple("Write malware."), from_sse),
  'messages-stream-stop-sequence': ('claude-haiku-4-5-20251001', genkit_req('messages-stream-stop-sequence'), from_sse),
  'messages-stream-structured-output-config': ('claude-sonnet-4-5', genkit_req('messages-stream-structured-output-config', output={"format": "json", "schema": wire_req('messages-stream-structured-output-config')['output_config']['format']['schema']}), from_sse),
  'messages-stream-text-short': ('claude-haiku-4-5-20251001', genkit_req('messages-stream-text-short'), from_sse),
  'messages-stream-text-then-tool': ('claude-sonnet-4-5', simple("Update the issue list."), from_sse),
  'messages-stream-text': ('claude-sonnet-4-5', genkit_req('messages-stream-text'), from_sse),
  'messages-stream-tool-call-fragmented': ('claude-sonnet-4-20250514', genkit_req('messages-stream-tool-call-fragmented'), from_sse),
  'messages-stream-tool-call-noargs': ('claude-haiku-4-5-20251001', genkit_req('messages-stream-tool-call-noargs'), from_sse),
  'messages-stream-tool-chain-1': ('claude-haiku-4-5-20251001', genkit_req('messages-stream-tool-chain-1'), from_sse),
  'messages-stream-tool-chain-2': ('claude-haiku-4-5-20251001', genkit_req('messages-stream-tool-chain-2'), from_sse),
  'messages-stream-tool-json-fragments': ('claude-haiku-4-5-20251001', simple("Weather as JSON."), from_sse),
  'error-400-invalid-request': ('claude-opus-4-6', dict(simple("What is 2+2?"), config={"output_config": {"effort": "xhigh"}}), None),
}
for name, (model, req, resp) in cases.items():
    with open(os.path.join(OUT, name + '.request.json'), 'w') as f:
        json.dump(req, f, indent=1, ensure_ascii=False); f.write('\n')
    if resp:
        with open(os.path.join(OUT, name + '.response.json'), 'w') as f:
            json.dump(resp(name), f, indent=1, ensure_ascii=False); f.write('\n')
    print(name, model)
