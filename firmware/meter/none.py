# The meter setting "none": no meter is fitted. The charger works as before and says so.
from .reading import Reading
from .reasons import NONE


class NoMeter:
    def __init__(self):
        self.reading = Reading(1, fitted=False)
        self.staging = self.reading
        self.check = None
        self.lost_after = 1

    async def sample(self, now):
        return NONE
