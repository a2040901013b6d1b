"""The gallery page's states, one per seam, all reached from each other with get_state:

- grid.py: GalleryState, the window of thumbnails, its filters and favourites; GalleryLightbox, its lightbox;
- selection.py: GallerySelection, the bulk selection and the bar's actions (a substate of the grid);
- collections.py: CollectionDialogs, new / rename / delete a collection (a sibling of the grid).

Importing the package imports every module, so each substate is registered in Reflex's state tree before a
state tree is built (a substate whose module nobody imported is missing from it).
"""

from palett.state.gallery.collections import CollectionDialogs
from palett.state.gallery.grid import GalleryLightbox, GalleryState
from palett.state.gallery.selection import GallerySelection

__all__ = ["CollectionDialogs", "GalleryLightbox", "GallerySelection", "GalleryState"]
