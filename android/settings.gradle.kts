// The Workvoice Android build: the app (:app) and the Kotlin side of the shell (:shell).
//
// :shell compiles the sources of android/shell/src/main/kotlin (the effect loop and HTTP, the
// same sources the JVM tests of android/shell build with Maven) together with the generated
// bindings in ../bindings/kotlin (uniffi and crux typegen, written by scripts/bindings).
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "Workvoice"

include(":app")
include(":shell")
project(":shell").projectDir = file("shell-gradle")
