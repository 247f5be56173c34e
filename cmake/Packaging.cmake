# CPack: the `release` mode of the E2E matrix installs this package into a prefix.
set(CPACK_PACKAGE_NAME "proxbox")
set(CPACK_PACKAGE_VENDOR "proxbox")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Proxmox to NetBox sync service, Proxmox mock and NetBox emulator")
set(CPACK_GENERATOR "TGZ")
set(CPACK_PACKAGE_FILE_NAME "proxbox-${PROJECT_VERSION}-Linux")
include(CPack)
