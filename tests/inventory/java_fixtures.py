"""Real Java archives for the Java analyzer tests, built with the JDK's `javac` and `jar`.

Building takes a few seconds (a JVM per command), so the archives are cached under
`.cache/fixtures/java/<FIXTURE_VERSION>/`; bump the version when the recipes change.
Crafted zips that no build tool would make (bombs, truncations) are made by the tests.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_VERSION = "v1"
CACHE = ROOT / ".cache" / "fixtures" / "java" / FIXTURE_VERSION

SOURCE = """package example;

public final class Hello {
    public static void main(String[] args) {
        System.out.println("hello");
    }
}
"""


def java_fixtures() -> Path:
    """The directory of built archives (built once, then cached)."""
    done = CACHE / ".complete"
    if done.exists():
        return CACHE
    missing = [tool for tool in ("javac", "jar") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"JDK tools not installed: {', '.join(missing)} (apt-get install default-jdk)")
    if CACHE.exists():
        shutil.rmtree(CACHE)
    CACHE.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        _build(Path(scratch), CACHE)
    done.touch()
    return CACHE


def _run(*command: str | Path) -> None:
    subprocess.run([str(part) for part in command], check=True, capture_output=True, timeout=300)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _pom(stage: Path, group: str, artifact: str, version: str) -> None:
    _write(
        stage / "META-INF" / "maven" / group / artifact / "pom.properties",
        f"#Created by Apache Maven 3.8.7\ngroupId={group}\nartifactId={artifact}\n"
        f"version={version}\n",
    )


def _jar(
    scratch: Path,
    target: Path,
    manifest: str,
    *,
    classes: Path | None = None,
    poms: tuple[tuple[str, str, str], ...] = (),
    files: dict[str, Path] | None = None,
    store: bool = False,
) -> Path:
    """`jar --create` of classes, pom.properties files and other files, with a manifest."""
    stage = Path(tempfile.mkdtemp(dir=scratch))
    if classes is not None:
        shutil.copytree(classes, stage, dirs_exist_ok=True)
    for group, artifact, version in poms:
        _pom(stage, group, artifact, version)
    for name, source in (files or {}).items():
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, stage / name)
    manifest_file = _write(scratch / f"{target.name}.MF", manifest)
    options = "--no-compress" if store else "--verbose"
    _run(
        "jar", "--create", options, "--file", target, "--manifest", manifest_file, "-C", stage, "."
    )
    return target


def _build(scratch: Path, out: Path) -> None:
    classes = scratch / "classes"
    source = _write(scratch / "src" / "example" / "Hello.java", SOURCE)
    _run("javac", "--release", "17", "-d", classes, source)
    libs = scratch / "libs"
    libs.mkdir()

    # plain libraries, as Maven builds them: one pom.properties, a versioned file name
    lang3 = _jar(
        scratch,
        libs / "commons-lang3-3.12.0.jar",
        "Implementation-Title: Apache Commons Lang\nImplementation-Version: 3.12.0\n"
        "Bundle-SymbolicName: org.apache.commons.lang3\nBundle-Version: 3.12.0\n"
        "Bundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt\n",
        classes=classes,
        poms=(("org.apache.commons", "commons-lang3", "3.12.0"),),
    )
    log4j = _jar(
        scratch,
        libs / "log4j-core-2.14.1.jar",
        "Implementation-Title: Apache Log4j Core\nImplementation-Version: 2.14.1\n",
        classes=classes,
        poms=(("org.apache.logging.log4j", "log4j-core", "2.14.1"),),
    )
    # a shaded jar: its own pom.properties and those of what it bundles
    shaded = _jar(
        scratch,
        libs / "jackson-databind-2.15.2.jar",
        "Bundle-SymbolicName: com.fasterxml.jackson.core.jackson-databind\n",
        classes=classes,
        poms=(
            ("com.fasterxml.jackson.core", "jackson-databind", "2.15.2"),
            ("com.fasterxml.jackson.core", "jackson-core", "2.15.2"),
        ),
    )
    # only a manifest: no pom.properties at all (as many OSGi bundles and old jars)
    manifest_only = _jar(
        scratch,
        libs / "osgi-thing-4.1.0.jar",
        "Bundle-SymbolicName: org.example.osgi-thing\nBundle-Version: 4.1.0.RELEASE\n"
        "Bundle-Name: OSGi Thing\nImplementation-Vendor-Id: org.example\n"
        "Bundle-License: Apache-2.0;link=https://www.apache.org/licenses/LICENSE-2.0,"
        '"EPL-2.0";description="Eclipse Public License"\n',
        classes=classes,
    )
    shutil.copyfile(manifest_only, out / manifest_only.name)
    shutil.copyfile(lang3, out / lang3.name)

    # a web application with its libraries in WEB-INF/lib
    war_classes = scratch / "war"
    shutil.copytree(classes, war_classes / "WEB-INF" / "classes")
    war = _jar(
        scratch,
        out / "shop-1.0.war",
        "Implementation-Title: shop\nImplementation-Version: 1.0\n",
        classes=war_classes,
        poms=(("com.example", "shop", "1.0"),),
        files={
            "WEB-INF/lib/commons-lang3-3.12.0.jar": lang3,
            "WEB-INF/lib/log4j-core-2.14.1.jar": log4j,
            "WEB-INF/lib/jackson-databind-2.15.2.jar": shaded,
        },
    )
    # an enterprise archive holding the war and a library: nesting two deep
    _jar(
        scratch,
        out / "suite-2.0.ear",
        "Implementation-Title: suite\nImplementation-Version: 2.0\n",
        poms=(("com.example", "suite", "2.0"),),
        files={"shop-1.0.war": war, "lib/osgi-thing-4.1.0.jar": manifest_only},
    )
    # a Spring Boot fat jar: libraries stored uncompressed in BOOT-INF/lib, app in a plain name
    boot_classes = scratch / "boot"
    shutil.copytree(classes, boot_classes / "BOOT-INF" / "classes")
    _jar(
        scratch,
        out / "app.jar",
        "Main-Class: org.springframework.boot.loader.launch.JarLauncher\n"
        "Start-Class: example.Hello\nImplementation-Title: demo\n"
        "Implementation-Version: 0.0.1-SNAPSHOT\n",
        classes=boot_classes,
        poms=(("com.example", "demo", "0.0.1-SNAPSHOT"),),
        files={
            "BOOT-INF/lib/log4j-core-2.14.1.jar": log4j,
            "BOOT-INF/lib/jackson-databind-2.15.2.jar": shaded,
        },
        store=True,
    )
