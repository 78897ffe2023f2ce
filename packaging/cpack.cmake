# CPack: `cpack` in the build directory makes jshim_<version>_<arch>.deb and
# jshim-<version>-1.<arch>.rpm from the install rules of the whole project.

set(CPACK_GENERATOR "DEB;RPM")
set(CPACK_PACKAGE_NAME jshim)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "jshim maintainers")
set(CPACK_PACKAGE_CONTACT "jshim maintainers <maintainers@users.noreply.r-seed-149542eb.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "container runtime shim: C launcher and Java daemon")
set(CPACK_PACKAGE_DESCRIPTION
"jshim is a drop-in replacement for the shimmy container runtime shim used
by conman. A small C launcher (jshim) runs once per container: it runs the
OCI runtime, reaps the container and keeps its file descriptors. One Java
daemon per host (jshimd) writes the container logs and exit files and serves
attach sockets and stdin for every container; it can be restarted at any
time without losing output.")
set(CPACK_RESOURCE_FILE_LICENSE "${CMAKE_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_GENERATOR "")

# ---- DEB ----
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "default-jre-headless (>= 2:1.17) | java17-runtime-headless, runc | crun")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The maintainer scripts (generated from packaging/maint/): the upgrade rule of DESIGN.md.
# Explicit scripts also keep CPack from adding ldconfig calls for the private JNI library.
# The triggers file: a JDK installed, upgraded or removed under /usr/lib/jvm runs the postinst
# ("triggered"), which dumps jshimd's class-data-sharing archive again for the java it runs.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${JSHIM_MAINT_DIR}/deb/postinst" "${JSHIM_MAINT_DIR}/deb/prerm" "${JSHIM_MAINT_DIR}/deb/postrm"
  "${JSHIM_MAINT_DIR}/deb/triggers")

# ---- RPM ----
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_SUMMARY "Container runtime shim: C launcher and Java daemon")
set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_RPM_PACKAGE_REQUIRES "(java-17-openjdk-headless or java-headless >= 1:17), runc")
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE "${JSHIM_MAINT_DIR}/rpm-post")
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE "${JSHIM_MAINT_DIR}/rpm-postun")
set(CPACK_RPM_CHANGELOG_FILE "${CMAKE_CURRENT_SOURCE_DIR}/doc/rpm-changelog")
# libjshim-jni.so is private to jshimd: never offer it to other packages.
set(CPACK_RPM_SPEC_MORE_DEFINE "%global __provides_exclude_from ^/usr/lib/jshim/.*$
%define packager ${CPACK_PACKAGE_CONTACT}")
list(APPEND CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  /usr/lib/systemd /usr/lib/systemd/system /usr/libexec /usr/sbin
  /usr/share/man /usr/share/man/man1 /usr/share/man/man8)

include(CPack)
