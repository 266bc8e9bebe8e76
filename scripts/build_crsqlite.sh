#!/usr/bin/env bash
# Builds the cr-sqlite 0.16.3 loadable SQLite extension (crsqlite.so) from source and caches it
# outside the tracked tree, keyed by version:
#   ${LOCANEXT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/locanext}/crsqlite-0.16.3/crsqlite.so
# If that file exists, prints its path and exits at once. Otherwise obtains the source with
# `npm pack @vlcn.io/crsqlite@0.16.3` (the tarball is kept in the same cache directory; its
# install script, which downloads from GitHub, is never run), patches it so that stable Rust and
# Debian's packaged crates can build it offline (ARCHITECTURE.md, "cr-sqlite facts"), runs
# `make loadable` in a temporary directory and installs the result atomically.
#
# Progress goes to stderr; the last line of stdout is the path of the .so.
# Needs: npm (unless the tarball is cached), cargo + rustc (stable is fine), make, gcc,
# /usr/bin/python3, and the Debian packages librust-bytes-dev librust-num-traits-dev
# librust-num-derive-dev. Only Linux x86_64 is supported.
# Set LOCANEXT_CRSQLITE_KEEP_BUILD=1 to keep the temporary build directory (for debugging).
set -euo pipefail

VERSION=0.16.3
TARBALL_NAME="vlcn.io-crsqlite-${VERSION}.tgz"
TARBALL_SHA256=e16e462763ebe38c30a466e53b979dc2464de1e2ebc0e2255c04266ca232a012

CACHE_ROOT="${LOCANEXT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/locanext}"
DEST_DIR="$CACHE_ROOT/crsqlite-$VERSION"
SO_PATH="$DEST_DIR/crsqlite.so"
CACHED_TARBALL="$DEST_DIR/$TARBALL_NAME"

# Fast path: already built.
if [ -f "$SO_PATH" ]; then
  echo "$SO_PATH"
  exit 0
fi

log() { echo "build_crsqlite: $*" >&2; }
die() {
  echo "build_crsqlite: ERROR: $*" >&2
  exit 1
}

# ---- preflight ---------------------------------------------------------------------------------
[ "$(uname -s)" = Linux ] || die "only Linux is supported (got $(uname -s))"
[ "$(uname -m)" = x86_64 ] ||
  die "only x86_64 is supported (got $(uname -m)): the shipped bindings.rs is patched for the x86_64 va_list"
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  PATH="$HOME/.cargo/bin:$PATH"
fi
for tool in cargo rustc make gcc tar sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH (run scripts/setup_system.sh)"
done
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || die "$PYTHON not found (the patch step uses the system Python's stdlib)"
CRATE_REGISTRY=/usr/share/cargo/registry
for crate in bytes num-traits num-derive; do
  compgen -G "$CRATE_REGISTRY/$crate-[0-9]*" >/dev/null ||
    die "crate '$crate' missing from $CRATE_REGISTRY; install librust-bytes-dev librust-num-traits-dev librust-num-derive-dev"
done

mkdir -p "$DEST_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/locanext-crsqlite.XXXXXX")"
cleanup() {
  if [ -n "${LOCANEXT_CRSQLITE_KEEP_BUILD:-}" ]; then
    log "keeping build directory $WORK"
  else
    rm -rf "$WORK"
  fi
  rm -f "$DEST_DIR/.tmp.$$.tgz" "$DEST_DIR/.tmp.$$.so"
}
trap cleanup EXIT

check_sha() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$TARBALL_SHA256" ]; }

# ---- source tarball ----------------------------------------------------------------------------
if [ -f "$CACHED_TARBALL" ] && check_sha "$CACHED_TARBALL"; then
  log "using cached source tarball $CACHED_TARBALL"
else
  [ -f "$CACHED_TARBALL" ] && log "cached tarball has a wrong checksum; downloading again"
  command -v npm >/dev/null 2>&1 || die "'npm' not found on PATH (needed to download the source once)"
  log "downloading @vlcn.io/crsqlite@$VERSION with npm pack"
  mkdir -p "$WORK/npm"
  (cd "$WORK/npm" && npm pack --ignore-scripts --silent "@vlcn.io/crsqlite@$VERSION") >&2 ||
    die "npm pack @vlcn.io/crsqlite@$VERSION failed"
  [ -f "$WORK/npm/$TARBALL_NAME" ] || die "npm pack did not produce $TARBALL_NAME"
  check_sha "$WORK/npm/$TARBALL_NAME" ||
    die "checksum mismatch for $TARBALL_NAME (expected sha256 $TARBALL_SHA256)"
  cp "$WORK/npm/$TARBALL_NAME" "$DEST_DIR/.tmp.$$.tgz"
  mv -f "$DEST_DIR/.tmp.$$.tgz" "$CACHED_TARBALL"
fi

log "extracting"
mkdir -p "$WORK/src"
tar -xzf "$CACHED_TARBALL" -C "$WORK/src" --no-same-owner
PKG="$WORK/src/package"
[ -f "$PKG/Makefile" ] && [ -d "$PKG/rs" ] || die "unexpected tarball layout (no package/Makefile or package/rs)"

# ---- patches -----------------------------------------------------------------------------------
log "patching for stable Rust, Debian crates, x86_64 bindings and two upstream bugs"
"$PYTHON" - "$PKG" <<'PYEOF'
import glob
import pathlib
import shutil
import sys

pkg = pathlib.Path(sys.argv[1])
rs = pkg / "rs"


def fail(msg):
    sys.exit(f"build_crsqlite: ERROR: patch failed: {msg}")


def replace(rel, old, new, count=1):
    """Replace `old` by `new` in rs/<rel>; it must occur exactly `count` times."""
    path = rs / rel
    if not path.is_file():
        fail(f"{path} not found")
    text = path.read_text()
    found = text.count(old)
    if found != count:
        fail(f"{rel}: expected {count} occurrence(s) of {old!r}, found {found}")
    path.write_text(text.replace(old, new))


# 1. Stable toolchain: no pinned nightly, no unused unstable feature (RUSTC_BOOTSTRAP covers the rest).
toolchains = list(rs.rglob("rust-toolchain.toml")) + list(rs.rglob("rust-toolchain"))
if not toolchains:
    fail("no rust-toolchain.toml found")
for p in toolchains:
    p.unlink()
replace("sqlite-rs-embedded/sqlite3_capi/src/lib.rs", "#![feature(concat_idents)]\n", "")

# 2. Crates from Debian's directory registry, offline; versions relaxed to what Debian ships.
for p in rs.rglob("Cargo.lock"):
    p.unlink()
(rs / ".cargo").mkdir(exist_ok=True)
(rs / ".cargo" / "config.toml").write_text(
    '[source.crates-io]\nreplace-with = "debian"\n\n'
    '[source.debian]\ndirectory = "/usr/share/cargo/registry"\n\n'
    "[net]\noffline = true\n"
)
replace("core/Cargo.toml",
        'bytes = { version = "1.5", default-features = false }',
        'bytes = { version = "1.2", default-features = false }')
for manifest in ("core/Cargo.toml", "sqlite-rs-embedded/sqlite_nostd/Cargo.toml"):
    replace(manifest,
            'num-traits = { version = "0.2.17", default-features = false }',
            'num-traits = { version = "0.2.15", default-features = false }')
    replace(manifest, 'num-derive = "0.4.1"', 'num-derive = "0.3"')

# 3. No bindgen: use the bindings.rs shipped in the tarball, fixed for the x86_64 SysV va_list.
shipped = glob.glob(str(rs / "bundle_static/target/release/build/sqlite3_capi-*/out/bindings.rs"))
if len(shipped) != 1:
    fail(f"expected one shipped bundle_static bindings.rs, found {len(shipped)}")
capi = rs / "sqlite-rs-embedded/sqlite3_capi"
bindings = pathlib.Path(shipped[0]).read_text()
old_va = "pub type __builtin_va_list = *mut ::core::ffi::c_char;\n"
if bindings.count(old_va) != 1:
    fail("bindings.rs: __builtin_va_list definition not found")
bindings = bindings.replace(old_va, """#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct __va_list_tag {
    pub gp_offset: ::core::ffi::c_uint,
    pub fp_offset: ::core::ffi::c_uint,
    pub overflow_arg_area: *mut ::core::ffi::c_void,
    pub reg_save_area: *mut ::core::ffi::c_void,
}
pub type __builtin_va_list = [__va_list_tag; 1usize];
""")
(capi / "bindings.rs").write_text(bindings)
# The stale build outputs shipped in the tarball must not mix with ours.
for target in rs.glob("*/target"):
    shutil.rmtree(target)
replace("sqlite-rs-embedded/sqlite3_capi/Cargo.toml", '[build-dependencies]\nbindgen = "0.68.1"\n', "")
(capi / "build.rs").write_text('''use std::env;
use std::fs;
use std::path::PathBuf;

// Patched by LocaNext's build_crsqlite.sh: copy pre-generated bindings instead of running bindgen.
fn main() {
    println!("cargo:rerun-if-changed=bindings.rs");
    let src = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("bindings.rs");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
    fs::copy(&src, &out).expect("Couldn't copy bindings.rs");
}
''')

# 4a. Upstream bug: "main" handed to C as a char* without a terminating NUL.
replace("core/src/lib.rs", '("main", args[0].text())', '("main\\0", args[0].text())', count=3)

# 4b. Upstream bug: slices built from NULL pointers (NULL or empty text/blob values) are UB.
replace("sqlite-rs-embedded/sqlite3_capi/src/capi.rs",
        """        let bytes = invoke_sqlite!(column_text, stmt, c);
        let slice""",
        """        let bytes = invoke_sqlite!(column_text, stmt, c);
        if bytes.is_null() {
            return "";
        }
        let slice""")
replace("sqlite-rs-embedded/sqlite3_capi/src/capi.rs",
        """        let bytes = invoke_sqlite!(value_text, arg1);
        let slice""",
        """        let bytes = invoke_sqlite!(value_text, arg1);
        if bytes.is_null() {
            return "";
        }
        let slice""")
replace("sqlite-rs-embedded/sqlite3_capi/src/capi.rs",
        """        let b = invoke_sqlite!(value_blob, value);
        core::slice::from_raw_parts""",
        """        let b = invoke_sqlite!(value_blob, value);
        if b.is_null() {
            return &[];
        }
        core::slice::from_raw_parts""")
replace("sqlite-rs-embedded/sqlite_nostd/src/nostd.rs",
        """        let ptr = column_blob(*self, i);
        unsafe { core::slice::from_raw_parts(ptr as *const u8, len as usize) }""",
        """        let ptr = column_blob(*self, i);
        if ptr.is_null() {
            return &[];
        }
        unsafe { core::slice::from_raw_parts(ptr as *const u8, len as usize) }""")
PYEOF

# ---- build -------------------------------------------------------------------------------------
log "building with cargo and gcc (under a minute)"
# Environment that would redirect cargo's output or pick another toolchain breaks the Makefile.
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET RUSTUP_TOOLCHAIN RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
export RUSTC_BOOTSTRAP=1
# The Makefile asks git for the commit it embeds (crsql_sha()); we have no checkout, so say so.
if ! (cd "$PKG" && make loadable CRSQLITE_COMMIT_SHA="npm-$VERSION-locanext") >"$WORK/build.log" 2>&1; then
  tail -n 60 "$WORK/build.log" >&2
  die "make loadable failed; last lines of the log above (rerun with LOCANEXT_CRSQLITE_KEEP_BUILD=1 to keep $WORK)"
fi
BUILT="$PKG/dist/crsqlite.so"
[ -f "$BUILT" ] || die "make loadable did not produce dist/crsqlite.so"
if command -v nm >/dev/null 2>&1; then
  # (no grep -q: with pipefail, nm could die of SIGPIPE when grep stops reading early)
  nm -D --defined-only "$BUILT" | grep -w sqlite3_crsqlite_init >/dev/null ||
    die "built crsqlite.so does not export sqlite3_crsqlite_init"
fi

# ---- install atomically ------------------------------------------------------------------------
cp "$BUILT" "$DEST_DIR/.tmp.$$.so"
mv -f "$DEST_DIR/.tmp.$$.so" "$SO_PATH"
log "installed $SO_PATH"
echo "$SO_PATH"
