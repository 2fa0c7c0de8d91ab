import PorticoCache
import Testing

@Suite("Age calculation (RFC 9111 §4.2.3)")
struct AgeTests {
    @Test("§4.2.3 age: corrected initial age uses the larger of Age and apparent age")
    func correctedInitialAge() {
        // Date 50 s before receipt (apparent age 50) vs Age 10 + 2 s delay.
        let byDate = ResponseAge(storedResponse([("Date", httpDate(-50)), ("Age", "10")], delay: 2), now: baseTime)
        #expect(byDate.apparentAge == 50)
        #expect(byDate.correctedAgeValue == 12)
        #expect(byDate.correctedInitialAge == 50)
        // Age 100 + 2 s delay beats a Date 50 s old.
        let byAge = ResponseAge(storedResponse([("Date", httpDate(-50)), ("Age", "100")], delay: 2), now: baseTime)
        #expect(byAge.correctedInitialAge == 102)
    }

    @Test("§4.2.3 current_age adds resident_time")
    func residentTime() {
        let response = storedResponse([("Age", "10")], delay: 1)
        #expect(CachePolicy.currentAge(response, now: baseTime + 30) == 41)
    }

    @Test("§4.2.3 response_delay counts even without an Age field")
    func responseDelay() {
        let age = ResponseAge(storedResponse([], delay: 3), now: baseTime)
        #expect(age.ageValue == 0)
        #expect(age.responseDelay == 3)
        #expect(age.currentAge == 3)
    }

    @Test("§5.1 an invalid Age is ignored", arguments: ["abc", "-5", "1.5", ""])
    func invalidAge(value: String) {
        #expect(CachePolicy.currentAge(storedResponse([("Age", value)]), now: baseTime + 5) == 5)
    }

    @Test("§4.2.3 Date absent: date_value is response_time (RFC 9110 §6.6.1)")
    func dateAbsent() {
        let age = ResponseAge(storedResponse([], date: false), now: baseTime + 7)
        #expect(age.dateValue == baseTime)
        #expect(age.apparentAge == 0)
        #expect(age.currentAge == 7)
    }

    @Test("§4.2.3 clock skew: a Date in the future gives apparent_age 0, not negative")
    func clockSkew() {
        let age = ResponseAge(storedResponse([("Date", httpDate(3_600))]), now: baseTime + 5)
        #expect(age.apparentAge == 0)
        #expect(age.currentAge == 5)
    }
}
