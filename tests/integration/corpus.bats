#!/usr/bin/env bats
# linklab corpus: the same profile, scale and seed give the same bytes, and
# every generated wheel is valid for linklab unpack and for pip.

load ../lib/lab

profiles=("tiny 1" "many-small 0.05" "mixed 0.05" "huge-lib 0.01" "namespace 1")

@test "corpus: the same seed gives the same bytes; another seed gives other bytes" {
    for p in "${profiles[@]}"; do
        read -r name scale <<<"$p"
        "$LINKLAB" corpus --profile "$name" --scale "$scale" --seed 3 --out "$BATS_TEST_TMPDIR/a/$name" >/dev/null
        "$LINKLAB" corpus --profile "$name" --scale "$scale" --seed 3 --out "$BATS_TEST_TMPDIR/b/$name" >/dev/null
        "$LINKLAB" corpus --profile "$name" --scale "$scale" --seed 4 --out "$BATS_TEST_TMPDIR/c/$name" >/dev/null
        a=$(cd "$BATS_TEST_TMPDIR/a/$name" && sha256sum -- *.whl)
        [ -n "$a" ]
        [ "$a" = "$(cd "$BATS_TEST_TMPDIR/b/$name" && sha256sum -- *.whl)" ]
        [ "$a" != "$(cd "$BATS_TEST_TMPDIR/c/$name" && sha256sum -- *.whl)" ]
    done
}

@test "corpus: every wheel passes linklab unpack and pip install --no-index" {
    for p in "${profiles[@]}"; do
        read -r name scale <<<"$p"
        out=$BATS_TEST_TMPDIR/w/$name
        "$LINKLAB" corpus --profile "$name" --scale "$scale" --out "$out" >/dev/null
        run "$LINKLAB" unpack --cache "$BATS_TEST_TMPDIR/cache" "$out"/*.whl
        [ "$status" -eq 0 ] || { echo "$name: $output" >&2; false; }
        run python3 -m pip install -q --disable-pip-version-check --no-index --no-deps --no-compile \
            --target "$BATS_TEST_TMPDIR/pip-$name" "$out"/*.whl
        [ "$status" -eq 0 ] || { echo "$name: $output" >&2; false; }
    done
}

@test "corpus: profiles have their shape (file counts, exec bits, a large library, a shared namespace)" {
    "$LINKLAB" corpus --profile many-small --out "$BATS_TEST_TMPDIR/ms" >/dev/null
    n=$(unzip -Z1 "$BATS_TEST_TMPDIR"/ms/*.whl | grep -vc '/$')
    [ "$n" -ge 1900 ]
    [ "$n" -le 2100 ]
    [ "$(unzip -Z "$BATS_TEST_TMPDIR"/ms/*.whl | grep -c '^-rwx')" -gt 0 ]
    "$LINKLAB" corpus --profile huge-lib --scale 0.02 --out "$BATS_TEST_TMPDIR/hl" >/dev/null
    big=$(unzip -l "$BATS_TEST_TMPDIR"/hl/*.whl | awk '$4 ~ /\.so$/ { print $1 }')
    [ "$big" -ge 5000000 ]
    "$LINKLAB" corpus --profile namespace --out "$BATS_TEST_TMPDIR/ns" >/dev/null
    [ "$(ls "$BATS_TEST_TMPDIR"/ns/*.whl | wc -l)" -eq 6 ]
    for w in "$BATS_TEST_TMPDIR"/ns/*.whl; do unzip -Z1 "$w" | grep -qx 'labns/__init__.py'; done
    run "$LINKLAB" corpus --profile nope --out "$BATS_TEST_TMPDIR/x"
    [ "$status" -eq 2 ]
}
