#!/usr/bin/python3
"""Writes the hand-made hostile seeds of the fuzz_model corpus from a real
model (corpus/model/real_cls40.ubj): each is one attack of issue 7 finding 1,
the same ones sql/security_models.sql makes in SQL.  Run from test/fuzz."""
import struct

src = open('corpus/model/real_cls40.ubj', 'rb').read()


def after(key):
    """Offset just after the first occurrence of key (the first tree's)."""
    return src.index(key.encode()) + len(key)


def put(off, data, base=src):
    return base[:off] + data + base[off + len(data):]


I32 = lambda v: struct.pack('>i', v)
seeds = {
    # typed arrays: [ $ type # L <8-byte count> payload (count at +5, payload at +13)
    'child_out_of_range': put(after('left_children') + 13, I32(900)),
    'negative_child': put(after('right_children') + 13, I32(-5)),
    'split_index_too_big': put(after('split_indices') + 13, I32(40)),
    'root_own_child': put(after('left_children') + 13, I32(0)),
    'cycle_1_to_1': put(after('left_children') + 13 + 4, I32(1)),
    'count_2_31': put(after('left_children') + 5, struct.pack('>q', 2 ** 31)),
    'count_negative': put(after('left_children') + 5, struct.pack('>q', -1)),
    # [ # L <count> then 'i' <group>
    'tree_info_5': put(after('tree_info') + 12, b'\x05'),
    'json_text': b'{"learner": {"gradient_booster": {"model": {"trees": [{"left_children": [900, -1]}]}}}, "version": [1, 7, 4]}',
    'old_binary': b'binf' + bytes(136),
    'trailing_byte': src + b'\x00',
    'truncated': src[:3000],
    'empty_object': b'{}',
}
# dart and gblinear (issue 8): the real models ap_train registered, and their attacks
dart = open('corpus/model/real_dart40.ubj', 'rb').read()
lin = open('corpus/model/real_gblinear40.ubj', 'rb').read()


def at(base, key):
    return base.index(key.encode()) + len(key)


NAN32 = b'\x7f\xc0\x00\x00'
seeds.update({
    # weight_drop: [ # L <8-byte count> then 'd' <float32> per tree
    'dart_weights_short': put(at(dart, 'weight_drop[#L'), struct.pack('>q', 29), dart),
    'dart_weights_long': put(at(dart, 'weight_drop[#L'), struct.pack('>q', 2 ** 40), dart),
    'dart_weight_nan': put(at(dart, 'weight_drop[#L') + 9, NAN32, dart),
    'dart_weight_negative': put(at(dart, 'weight_drop[#L') + 9, struct.pack('>f', -1.0), dart),
    'dart_named_other': dart.replace(b'SL\x00\x00\x00\x00\x00\x00\x00\x04dart',
                                     b'SL\x00\x00\x00\x00\x00\x00\x00\x04DART'),
    # weights: [ $ d # L <8-byte count> payload
    'gblinear_weights_short': put(at(lin, 'weights[$d#L'), struct.pack('>q', 40), lin),
    'gblinear_weights_huge': put(at(lin, 'weights[$d#L'), struct.pack('>q', 2 ** 62), lin),
    'gblinear_weight_nan': put(at(lin, 'weights[$d#L') + 8, NAN32, lin),
    'gblinear_named_gbtree': lin.replace(b'SL\x00\x00\x00\x00\x00\x00\x00\x08gblinear',
                                         b'SL\x00\x00\x00\x00\x00\x00\x00\x06gbtree', 1),
})
for name, data in seeds.items():
    with open('corpus/model/hostile_%s.ubj' % name, 'wb') as f:
        f.write(data)
