// Gradle build of the shell module for the Android app (:shell). It owns no sources: it compiles
//   ../shell/src/main/kotlin            the Kotlin side of the shell (effect loop, OkHttp), the
//                                        same sources that android/shell/pom.xml tests on the JVM
//   ../../bindings/kotlin/uniffi        uniffi bindings of CoreFfi (scripts/bindings)
//   ../../bindings/kotlin/types/{org,com}  crux typegen: org.workvoice.core.types and the
//                                        com.novi.serde / com.novi.bincode runtime
// (the typegen directory's own build.gradle.kts is left out by naming only org/ and com/).
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "org.workvoice.shell"
    compileSdk = 36

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets {
        getByName("main") {
            java.srcDirs(
                "../shell/src/main/kotlin",
                "../../bindings/kotlin/uniffi",
                "../../bindings/kotlin/types/org",
                "../../bindings/kotlin/types/com",
            )
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    api(libs.okhttp)
    api(libs.kotlinx.coroutines.android)
    // The uniffi bindings call libworkvoice_core.so through JNA; the AAR carries JNA's own
    // native dispatcher for each Android ABI.
    implementation("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")
}
