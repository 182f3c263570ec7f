"""Image recipes with a host-side build step (otelcol, jaeger, elasticsearch): loading, validation and
hashing. No engine, no network."""

import shutil
from pathlib import Path

import pytest

from harness.errors import ConfigError, ImageError
from harness.images.builder import ImageBuilder, image_changes
from harness.images.recipe import load_recipe, load_recipes
from harness.settings import project_root

IMAGES = project_root() / "stack" / "images"


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """A copy of stack/images/ (recipes and their scripts) to change."""
    target = tmp_path / "images"
    shutil.copytree(IMAGES, target)
    return target


def test_a_recipe_without_the_new_fields_keeps_its_digest(tmp_path: Path) -> None:
    # digest of this recipe computed by the builder before the build/base/cmd/expose fields existed
    legacy = tmp_path / "legacy.yaml"
    legacy.write_text('name: legacy\npackages: [curl]\nentrypoint: ["/bin/true"]\nenv: {A: "1"}\nuser: nobody\n')
    recipe = load_recipe(legacy)
    assert recipe.digest() == "011c22964d8b"
    assert not {"base", "build", "build_env", "inputs", "cmd", "expose"} & set(recipe.hashed_document())


def test_the_three_new_recipes_load() -> None:
    recipes = load_recipes(IMAGES)
    otelcol, jaeger, es = recipes["otelcol"], recipes["jaeger"], recipes["elasticsearch"]
    assert otelcol.base == jaeger.base == "scratch" and es.base == "debian"
    assert otelcol.packages == () and es.packages == ("openjdk-17-jre-headless",)
    assert otelcol.build_script == IMAGES / "scripts" / "otelcol.sh"
    assert dict(otelcol.build_env)["OTEL_VERSION"] == "0.156.0"
    assert dict(jaeger.build_env)["JAEGER_MODVER"] == "v1.76.0"
    assert otelcol.cmd == ("--config=/etc/otelcol/config.yaml",) and otelcol.user == "10001"
    assert "9200" in es.expose and es.user == "1000"
    for recipe in (otelcol, jaeger, es):
        assert recipe.upstream
        first, slash, _ = recipe.upstream.partition("/")
        assert not (slash and ("." in first or ":" in first)), f"{recipe.upstream}: names a registry host"


@pytest.mark.parametrize("target", ["scripts/otelcol.sh", "scripts/lib/go.sh", "scripts/lib/common.sh"])
def test_digest_follows_the_build_script_and_its_inputs(images: Path, target: str) -> None:
    before = load_recipe(images / "otelcol.yaml").digest()
    with (images / target).open("a") as handle:
        handle.write("\n# changed\n")
    assert load_recipe(images / "otelcol.yaml").digest() != before


def test_digest_follows_build_env_and_cmd(images: Path) -> None:
    path = images / "otelcol.yaml"
    before = load_recipe(path).digest()
    text = path.read_text()
    path.write_text(text.replace("OTEL_VERSION: 0.156.0", "OTEL_VERSION: 0.152.0"))
    assert load_recipe(path).digest() != before
    path.write_text(text.replace("--config=/etc/otelcol/config.yaml", "--config=/etc/other.yaml"))
    assert load_recipe(path).digest() != before
    path.write_text(text)
    assert load_recipe(path).digest() == before


def test_digest_does_not_depend_on_where_the_checkout_is(images: Path) -> None:
    assert load_recipe(images / "jaeger.yaml").digest() == load_recipe(IMAGES / "jaeger.yaml").digest()


@pytest.mark.parametrize(("text", "message"), [
    ("base: scratch\nentrypoint: [/x]\n", r"build: required with base: scratch"),
    ("base: scratch\npackages: [curl]\nbuild: s.sh\nentrypoint: [/x]\n", r"packages: not possible with base: scratch"),
    ("base: alpine\npackages: []\nentrypoint: [/x]\n", r"base: 'alpine' is not one of debian, scratch"),
    ("packages: []\nbuild: missing.sh\nentrypoint: [/x]\n", r"build: 'missing.sh' is not a script file"),
    ("packages: []\nbuild: s.sh\ninputs: [nope]\nentrypoint: [/x]\n", r"inputs: 'nope' does not exist"),
    ("packages: []\nbuild: s.sh\nbuild_env: [A]\nentrypoint: [/x]\n", r"build_env: expected a mapping"),
    ("packages: []\nexpose: [http]\nentrypoint: [/x]\n", r"expose: expected a list of ports"),
    ("packages: []\ncmd: --x\nentrypoint: [/x]\n", r"cmd: expected a list of strings"),
    ("entrypoint: [/x]\n", r"packages: required field is missing"),
])
def test_bad_build_fields_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "s.sh").write_text("true\n")
    path = tmp_path / "x.yaml"
    path.write_text("name: x\n" + text)
    with pytest.raises(ConfigError, match=r"x\.yaml: " + message):
        load_recipe(path)


def test_import_changes_carry_cmd_user_ports_and_quoted_env() -> None:
    changes = image_changes(load_recipes(IMAGES)["elasticsearch"])
    assert 'ENTRYPOINT ["/usr/share/elasticsearch/bin/elasticsearch"]' in changes
    assert 'ENV ES_JAVA_OPTS="-Xms512m -Xmx512m"' in changes
    assert {"USER 1000", "EXPOSE 9200", "EXPOSE 9300", "WORKDIR /usr/share/elasticsearch"} <= set(changes)
    otelcol = image_changes(load_recipes(IMAGES)["otelcol"])
    assert 'CMD ["--config=/etc/otelcol/config.yaml"]' in otelcol


def _script_recipe(tmp_path: Path, body: str) -> Path:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "s.sh").write_text(body)
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nbase: scratch\nbuild: scripts/s.sh\nbuild_env: {GREETING: hello}\nentrypoint: [/x]\n")
    return path


def test_build_script_gets_rootfs_cache_and_build_env_and_its_lines_are_shown(tmp_path: Path) -> None:
    recipe = load_recipe(_script_recipe(tmp_path, 'echo "step one"\necho "$GREETING" > "$ROOTFS/greeting"\n'
                                                  'echo "$CACHE" > "$ROOTFS/cache"; pwd > "$ROOTFS/cwd"\n'))
    lines: list[str] = []
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    ImageBuilder(None, tmp_path / "cache", log=lines.append).run_script(recipe, rootfs, tmp_path / "work")  # type: ignore[arg-type]
    assert (rootfs / "greeting").read_text() == "hello\n"
    assert (rootfs / "cache").read_text().strip() == str(tmp_path / "cache")
    assert (rootfs / "cwd").read_text().strip() == str(tmp_path)
    assert "  x| step one" in lines


def test_a_failing_build_script_names_the_recipe_and_shows_its_last_lines(tmp_path: Path) -> None:
    recipe = load_recipe(_script_recipe(tmp_path, 'echo "error: Go >= 1.25 needed" >&2\nexit 2\n'))
    with pytest.raises(ImageError, match=r"(?s)image x .*build script scripts/s.sh.*exited 2.*Go >= 1.25 needed"):
        ImageBuilder(None, tmp_path / "cache", log=lambda _: None).run_script(  # type: ignore[arg-type]
            recipe, tmp_path / "rootfs", tmp_path / "work")
