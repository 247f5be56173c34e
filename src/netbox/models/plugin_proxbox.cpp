// The netbox-proxbox plugin's models (/api/plugins/proxbox/...).

#include "netbox/models/declare.hpp"

namespace pbx::netbox::models {

void declare_plugin_proxbox(std::vector<Model>& models) {
  {
    Model m = base("netbox_proxbox.proxmoxstorage", "plugins/proxbox/storage", "ProxmoxStorage",
                   "Proxmox Storage");
    m.fields = {
        fk("cluster", "virtualization.cluster", OnDelete::Cascade).req(),
        str("name", 255).req(),
        str("storage_type", 100).null(),
        str("content", 255).null(),
        str("path", 255).null(),
        str("nodes", 255).null(),
        boolean("shared", false),
        boolean("enabled", true),
    };
    m.brief = {"id", "url", "display", "name"};
    m.unique = {{{"cluster", "name"},
                 false,
                 {},
                 "__all__",
                 "Proxmox Storage with this Cluster and Name already exists.",
                 "",
                 ""}};
    m.display = "{name}";
    models.push_back(std::move(m));
  }
  {
    Model m = base("netbox_proxbox.vmbackup", "plugins/proxbox/backups", "VMBackup", "VM Backup");
    m.fields = {
        fk("proxmox_storage", "netbox_proxbox.proxmoxstorage", OnDelete::SetNull).null(),
        str("storage", 255).null(),
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        choice("subtype", {{"undefined", "Undefined"}, {"lxc", "LXC"}, {"qemu", "QEMU"}})
            .def("undefined"),
        choice("format", {{"undefined", "Undefined"},
                          {"pbs-vm", "PBS VM"},
                          {"pbs-ct", "PBS CT"},
                          {"iso", "ISO"},
                          {"tzst", "TZST"},
                          {"tgz", "TGZ"},
                          {"qcow2", "QCOW2"},
                          {"raw", "RAW"},
                          {"tar", "TAR"},
                          {"tbz", "TBZ"}})
            .def("undefined"),
        datetime("creation_time"),
        integer("size").null(),
        str("notes").null(),
        str("volume_id", 255).null(),
        integer("vmid").null(),
        integer("used").null(),
        boolean("encrypted", false),
        str("verification_state", 255).null(),
        str("verification_upid", 255).null(),
    };
    m.brief = {"id", "url", "display", "volume_id"};
    m.unique = {{{"storage", "virtual_machine", "volume_id"},
                 false,
                 {},
                 "__all__",
                 "VM Backup with this Storage, Virtual machine and Volume id already exists.",
                 "",
                 ""}};
    m.display = "{volume_id}";
    m.search = {"volume_id", "storage", "notes"};
    m.ordering = "id";
    models.push_back(std::move(m));
  }
  {
    Model m =
        base("netbox_proxbox.vmsnapshot", "plugins/proxbox/snapshots", "VMSnapshot", "VM Snapshot");
    m.fields = {
        fk("proxmox_storage", "netbox_proxbox.proxmoxstorage", OnDelete::SetNull).null(),
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        str("name", 255).req(),
        str("description").null(),
        integer("vmid").req(),
        str("node", 255).req(),
        datetime("snaptime"),
        str("parent", 255).null(),
        choice("subtype", {{"qemu", "QEMU"}, {"lxc", "LXC"}}).def("qemu"),
        choice("status", {{"active", "Active"}, {"stale", "Stale"}}).def("active"),
    };
    m.brief = {"id", "url", "display", "name"};
    m.unique = {{{"vmid", "name", "node"},
                 false,
                 {},
                 "__all__",
                 "VM Snapshot with this Vmid, Name and Node already exists.",
                 "",
                 ""}};
    models.push_back(std::move(m));
  }
}

}  // namespace pbx::netbox::models
