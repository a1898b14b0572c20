import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

// The relay this build talks to, and whether the launcher shows a neutral name and icon
// (android/gradle.properties; override with -Pworkvoice.relayUrl=... -Pworkvoice.neutralLauncher=true).
val relayUrl: String = providers.gradleProperty("workvoice.relayUrl").getOrElse("https://relay.example.org")
val neutralLauncher: Boolean = providers.gradleProperty("workvoice.neutralLauncher").map { it.toBoolean() }.getOrElse(false)

android {
    namespace = "org.workvoice.app"
    compileSdk = 36

    defaultConfig {
        applicationId = "org.workvoice.app"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"

        buildConfigField("String", "RELAY_URL", "\"$relayUrl\"")
        manifestPlaceholders["appLabel"] = if (neutralLauncher) "@string/app_name_neutral" else "@string/app_name"
        manifestPlaceholders["appIcon"] = if (neutralLauncher) "@mipmap/ic_launcher_neutral" else "@mipmap/ic_launcher"

        // The ABIs cargo-ndk builds libworkvoice_core.so for (android/README.md).
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        jniLibs {
            // Keep the native libraries compressed in the APK: smaller downloads on prepaid data.
            useLegacyPackaging = true
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":shell"))

    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.foundation)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.material.icons.core)
    implementation(libs.androidx.compose.ui.tooling.preview)
    debugImplementation(libs.androidx.compose.ui.tooling)

    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.process)
    implementation(libs.androidx.work.runtime.ktx)
    implementation(libs.kotlinx.coroutines.android)
}

// The root public key is built into the native library (README.md, "Build the phone apps"): a
// release library without it does not compile, and a release APK is never assembled without it,
// so a stale library that trusts the test root cannot slip into one.
val rootPublicKey: String? = providers.environmentVariable("WORKVOICE_ROOT_PUBLIC_KEY").orNull
tasks.configureEach {
    if (name == "preReleaseBuild") {
        doFirst {
            if (rootPublicKey.isNullOrBlank()) {
                throw GradleException(
                    "WORKVOICE_ROOT_PUBLIC_KEY is not set: a release build must embed the " +
                        "deployment's root public key (android/README.md, section 2)",
                )
            }
        }
    }
}
