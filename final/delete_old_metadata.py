"""``python -m final.delete_old_metadata``: chapter 8's tool, unchanged (book §4.8); a version's
replicas or shards are left to ``final.delete_orphan_object`` once nothing refers to them."""
from chapter08_maintenance.common.tool import run  # unchanged since chapter 8
from chapter08_maintenance.delete_old_metadata import delete_old_metadata  # unchanged since chapter 8
from final import config as settings
from final.containers.metadata import MaintenanceMetadata

if __name__ == "__main__":
    run(delete_old_metadata, MaintenanceMetadata, settings)
