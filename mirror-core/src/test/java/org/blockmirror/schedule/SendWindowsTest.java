package org.blockmirror.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class SendWindowsTest {

    private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");

    private static ZonedDateTime at(String localDateTime) {
        return LocalDateTime.parse(localDateTime).atZone(ZONE);
    }

    private static LocalTime t(String hhmm) {
        return LocalTime.parse(hhmm);
    }

    @Test
    void parsesWindowsAndPrintsThemBack() {
        SendWindows w = SendWindows.parse(" 08:00-18:00 , 22:00 - 23:30,23:45-24:00");
        assertEquals("08:00-18:00,22:00-23:30,23:45-24:00", w.toString());
        assertEquals(3, w.windows().size());
        assertTrue(SendWindows.parse("none").isEmpty());
        assertTrue(SendWindows.parse("").isEmpty());
        assertEquals("7:05-9:00 is 07:05-09:00", "7:05-9:00 is " + SendWindows.parse("7:05-9:00"));
    }

    @Test
    void aWindowIncludesItsStartAndExcludesItsEnd() {
        SendWindows w = SendWindows.parse("08:00-18:00");
        assertFalse(w.contains(t("07:59:59")));
        assertTrue(w.contains(t("08:00")));
        assertTrue(w.contains(t("17:59:59.999")));
        assertFalse(w.contains(t("18:00")));
    }

    @Test
    void aWindowEndingBeforeItStartsWrapsMidnight() {
        SendWindows w = SendWindows.parse("22:00-06:00");
        assertTrue(w.contains(t("23:00")));
        assertTrue(w.contains(t("00:00")));
        assertTrue(w.contains(t("05:59")));
        assertFalse(w.contains(t("06:00")));
        assertFalse(w.contains(t("12:00")));
        assertFalse(w.contains(t("21:59")));
        SendWindows toMidnight = SendWindows.parse("22:00-24:00");
        assertTrue(toMidnight.contains(t("23:59:59")));
        assertFalse(toMidnight.contains(t("00:00")));
    }

    @Test
    void sendingResumesAtTheEndOfTheWindowFollowingTouchingWindows() {
        SendWindows w = SendWindows.parse("08:00-18:00,22:00-02:00");
        assertNull(w.resumesAt(at("2024-03-05T07:00")));
        assertEquals(at("2024-03-05T18:00"), w.resumesAt(at("2024-03-05T12:34")));
        assertEquals(at("2024-03-06T02:00"), w.resumesAt(at("2024-03-05T23:00")), "wraps to the next day");
        assertEquals(at("2024-03-06T02:00"), w.resumesAt(at("2024-03-06T01:00")));

        SendWindows chained = SendWindows.parse("08:00-12:00,12:00-13:00,12:30-18:00");
        assertEquals(at("2024-03-05T18:00"), chained.resumesAt(at("2024-03-05T09:00")));
        SendWindows acrossMidnight = SendWindows.parse("20:00-24:00,00:00-06:00");
        assertEquals(at("2024-03-06T06:00"), acrossMidnight.resumesAt(at("2024-03-05T21:00")));
    }

    @Test
    void windowsAreReadInTheGivenZoneAcrossADaylightSavingChange() {
        // Berlin springs forward at 02:00 on 2024-03-31: 01:00-04:00 lasts two hours that night
        SendWindows w = SendWindows.parse("01:00-04:00");
        ZonedDateTime start = at("2024-03-31T01:30");
        assertEquals(at("2024-03-31T04:00"), w.resumesAt(start));
        assertEquals(5_400, java.time.Duration.between(start, w.resumesAt(start)).toSeconds());
    }

    @Test
    void badWindowsAreRefusedWithAClearMessage() {
        assertEquals("'8-18' is not a window: expected " + SendWindows.SYNTAX,
                assertThrows(IllegalArgumentException.class, () -> SendWindows.parse("8-18")).getMessage());
        assertEquals("'' is not a window: expected " + SendWindows.SYNTAX,
                assertThrows(IllegalArgumentException.class, () -> SendWindows.parse("08:00-09:00,")).getMessage());
        assertEquals("'25:00' is not a time of day (00:00 to 23:59)",
                assertThrows(IllegalArgumentException.class, () -> SendWindows.parse("25:00-09:00")).getMessage());
        assertEquals("'09:60' is not a time of day (00:00 to 23:59, or 24:00 as an end)",
                assertThrows(IllegalArgumentException.class, () -> SendWindows.parse("08:00-09:60")).getMessage());
        assertEquals("window '08:00-08:00' is empty: its start and end are the same time",
                assertThrows(IllegalArgumentException.class, () -> SendWindows.parse("08:00-08:00")).getMessage());
        assertEquals("the windows cover the whole day: nothing would ever be sent",
                assertThrows(IllegalArgumentException.class,
                        () -> SendWindows.parse("00:00-12:00,11:00-24:00")).getMessage());
    }
}
