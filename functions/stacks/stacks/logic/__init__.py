"""Stacks' use cases, as the HTTP layer (app.py) and the task handler (tasks.py) call them.

Functions take the caller and plain data, return domain objects or plain dicts, and
know nothing of HTTP. Each concern lives in its own module under `logic/`:
locations (repositories, ranges, sections, shelves, profiles), boxes, placement (place,
move, remove, bulk), space (calculator, suggestions, occupancy), environment (sensors,
readings), saga (check-out steps), destruction and transfer (their sagas' steps), files (the read model of records' files in boxes) and bulk
(registration and placement jobs).
"""
from __future__ import annotations

from .boxes import (box_history, box_view, boxes_on_shelf, change_status, get_box, list_boxes, register_box,
                    shelf_history, update_box)
from .destruction import destroy_contents
from .bulk import get_job, job_errors, list_jobs, place_in_bulk, run_job, submit_registration
from .files import apply_records_event
from .environment import get_sensor, list_sensors, readings, record_readings, register_sensor, update_sensor
from .locations import (create_container_profile, create_location, create_location_profile, create_repository,
                        get_location, get_profile, get_repository, list_locations, list_profiles, list_repositories,
                        update_location, update_profile, update_repository)
from .placement import bulk_place, place_box, remove_box
from .saga import BoxNotAvailable, BoxNotFound, check_out_box, release_box, reserve_box, return_box
from .transfer import (BoxesNotReceivable, TransferCancelled, cancel_transfer_out, receive_boxes, release_boxes,
                       transfer_out_boxes, unreceive_boxes)
from .space import occupancy, occupancy_csv, occupancy_svg, public_report, space, suggestions

__all__ = [
    "apply_records_event", "box_history", "box_view", "boxes_on_shelf", "change_status", "get_box", "list_boxes", "register_box", "shelf_history",
    "update_box", "get_sensor", "list_sensors", "readings", "record_readings", "register_sensor", "update_sensor",
    "create_container_profile", "create_location", "create_location_profile", "create_repository", "get_location",
    "get_profile", "get_repository", "list_locations", "list_profiles", "list_repositories", "update_location",
    "update_profile", "update_repository", "bulk_place", "place_box", "remove_box", "BoxNotAvailable", "BoxNotFound",
    "check_out_box", "release_box", "reserve_box", "return_box", "occupancy", "occupancy_csv",
    "occupancy_svg", "public_report", "space", "suggestions",
    "get_job", "job_errors", "list_jobs", "place_in_bulk", "run_job", "submit_registration",
    "destroy_contents", "BoxesNotReceivable", "TransferCancelled", "cancel_transfer_out", "receive_boxes",
    "release_boxes", "transfer_out_boxes", "unreceive_boxes",
]
